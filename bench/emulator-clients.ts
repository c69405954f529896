import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../local/emulator/moto';

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
    credentials: {
      accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      sessionToken: EMULATOR_CREDENTIALS.AWS_SESSION_TOKEN,
    },
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
