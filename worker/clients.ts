import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { WorkerConfig } from './config';

export interface WorkerClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly documentClient: DynamoDBDocumentClient;
}

/** The SDK's standard retry mode, with two attempts more than its default for throttling and 5xx. */
export const WORKER_MAX_ATTEMPTS = 5;
const CONNECTION_TIMEOUT_MS = 5_000;
/** Socket inactivity limits; SQS must outlast the 20 s long poll, S3 a large server-side copy. */
const SQS_REQUEST_TIMEOUT_MS = 30_000;
const DYNAMODB_REQUEST_TIMEOUT_MS = 10_000;
const S3_REQUEST_TIMEOUT_MS = 10 * 60_000;
/** Each job can hold up to 4 part copies at once (copy.ts) plus a heartbeat; the rest is headroom. */
const SOCKETS_PER_JOB = 5;
const SPARE_SOCKETS = 10;

/** Builds the worker's clients once; nothing connects until the first request. */
export function createClients(config: WorkerConfig): WorkerClients {
  const maxSockets = config.concurrency * SOCKETS_PER_JOB + SPARE_SOCKETS;
  const common = {
    region: config.region,
    maxAttempts: WORKER_MAX_ATTEMPTS,
    retryMode: 'standard',
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
  };
  const handler = (requestTimeout: number): NodeHttpHandler =>
    new NodeHttpHandler({
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    });
  return {
    // Path-style addressing for the emulator: bucket subdomains of 127.0.0.1 do not resolve.
    s3: new S3Client({
      ...common,
      forcePathStyle: config.endpoint !== undefined,
      requestHandler: handler(S3_REQUEST_TIMEOUT_MS),
    }),
    sqs: new SQSClient({ ...common, requestHandler: handler(SQS_REQUEST_TIMEOUT_MS) }),
    documentClient: DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...common, requestHandler: handler(DYNAMODB_REQUEST_TIMEOUT_MS) }),
    ),
  };
}

export function destroyClients(clients: WorkerClients): void {
  clients.s3.destroy();
  clients.sqs.destroy();
  clients.documentClient.destroy();
}
