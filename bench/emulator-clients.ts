import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { destroyClients, emulatorClients } from '../local/emulator/clients';
import { EMULATOR_REGION, EMULATOR_SDK_CREDENTIALS } from '../local/emulator/moto';
import { createStackResources, type StackResourceOptions, type StackResources } from '../local/emulator/stack-resources';

export interface BenchClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
  destroy(): void;
}

/** The bench's own clients against the emulator: keep-alive sockets, enough for `concurrency` requests at once. */
export function benchClients(endpoint: string, concurrency: number): BenchClients {
  const common = {
    endpoint,
    region: EMULATOR_REGION,
    credentials: EMULATOR_SDK_CREDENTIALS,
  };
  const handler = (): NodeHttpHandler =>
    new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: concurrency }) });
  const s3 = new S3Client({ ...common, forcePathStyle: true, requestHandler: handler() });
  const sqs = new SQSClient({ ...common, requestHandler: handler() });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, requestHandler: handler() }));
  return {
    s3,
    sqs,
    documents,
    destroy() {
      s3.destroy();
      sqs.destroy();
      documents.destroy();
    },
  };
}

/** Runs `task(0..count-1)` with at most `lanes` running at once; resolves when all are done. */
export async function inLanes(count: number, lanes: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane));
}

/** The stack's resources on the emulator and the endpoint they live on. */
export type BenchResources = StackResources & { readonly endpoint: string };

/** Creates the stack's table, queues and bucket (local/emulator/stack-resources.ts) with short-lived clients. */
export async function createBenchResources(endpoint: string, options: StackResourceOptions): Promise<BenchResources> {
  const clients = emulatorClients(endpoint, EMULATOR_REGION);
  try {
    return { endpoint, ...(await createStackResources(clients, { baseName: 'bench', ...options })) };
  } finally {
    destroyClients(clients);
  }
}
