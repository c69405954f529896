import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { INPUT_PREFIX, ItemAttribute, ItemStatus } from '../contracts';
import type { Emulator } from '../local/emulator/moto';
import { benchClients, createBenchResources, inLanes, type BenchClients } from './emulator-clients';
import { median } from './stats';

/** Milliseconds per request, one request at a time on an otherwise idle emulator (median). */
export interface RequestCosts {
  readonly getItemMs: number;
  readonly headObjectMs: number;
  readonly copyObjectMs: number;
  readonly conditionalUpdateMs: number;
  /** ReceiveMessage of 10 messages from a queue holding `shallowDepth`, then `deepDepth` messages. */
  readonly receiveTenShallowMs: number;
  readonly receiveTenDeepMs: number;
  readonly shallowDepth: number;
  readonly deepDepth: number;
}

const SAMPLES = 20;
const RECEIVE_SAMPLES = 3;
const SHALLOW_DEPTH = 30;

/**
 * What each request the worker makes per row costs on this emulator: the figures that bound the worker's
 * rate (4 requests per row plus its share of a receive and a delete) against the limit's (1 CopyObject).
 */
export async function measureRequestCosts(emulator: Emulator, deepDepth: number): Promise<RequestCosts> {
  await emulator.reset();
  const pipeline = await createBenchResources(emulator.endpoint, { visibilityTimeoutSeconds: 300 });
  const clients = benchClients(emulator.endpoint, 10);
  try {
    const { bucketName, tableName } = pipeline;
    const key = `${INPUT_PREFIX}bench/cost-probe.bin`;
    await clients.s3.send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: Buffer.alloc(1024) }));
    const row = { [ItemAttribute.id]: 'cost-probe', [ItemAttribute.status]: ItemStatus.PENDING };
    await clients.documents.send(new PutCommand({ TableName: tableName, Item: row }));
    const itemKey = { [ItemAttribute.id]: 'cost-probe' };
    return {
      getItemMs: await timeEach(() =>
        clients.documents.send(new GetCommand({ TableName: tableName, Key: itemKey, ConsistentRead: true })),
      ),
      headObjectMs: await timeEach(() => clients.s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: key }))),
      copyObjectMs: await timeEach(() =>
        clients.s3.send(
          new CopyObjectCommand({ Bucket: bucketName, Key: 'bench-limit/cost-probe.bin', CopySource: `${bucketName}/${key}` }),
        ),
      ),
      conditionalUpdateMs: await timeEach(() =>
        clients.documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKey,
            UpdateExpression: 'SET #status = :pending',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': ItemAttribute.status },
            ExpressionAttributeValues: { ':pending': ItemStatus.PENDING },
          }),
        ),
      ),
      receiveTenShallowMs: await receiveCost(clients, 'cost-shallow', SHALLOW_DEPTH),
      receiveTenDeepMs: await receiveCost(clients, 'cost-deep', deepDepth),
      shallowDepth: SHALLOW_DEPTH,
      deepDepth,
    };
  } finally {
    clients.destroy();
  }
}

async function timeEach(request: () => Promise<unknown>, samples = SAMPLES): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < samples; index++) {
    const started = performance.now();
    await request();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Fills a fresh queue to `depth`, then times receives of 10 (the messages stay in flight, so depth barely moves). */
async function receiveCost(clients: BenchClients, queueName: string, depth: number): Promise<number> {
  const { QueueUrl: queueUrl } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '300' } }),
  );
  await inLanes(Math.ceil(depth / 10), 8, async (batch) => {
    const size = Math.min(10, depth - batch * 10);
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: size }, (_, index) => ({ Id: String(index), MessageBody: `probe ${batch}-${index}` })),
      }),
    );
  });
  return timeEach(
    () => clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })),
    RECEIVE_SAMPLES,
  );
}
