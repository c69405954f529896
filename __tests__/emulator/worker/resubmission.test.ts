import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { INPUT_PREFIX, ItemAttribute, ItemStatus, OUTPUT_PREFIX } from '../../../contracts';
import { startEmulator, type Emulator } from '../../../local/emulator/moto';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { createTestPipeline, destroyTestPipeline, inputPath, type TestPipeline } from '../../support/worker-fixtures';
import { isUpdateItem, runWorkerWithFaults } from '../../support/worker-in-process';
import { streamRecordBody } from '../../support/worker-records';

jest.setTimeout(120_000);

/**
 * A row resubmitted while a worker copies it (between the worker's read and its outcome write). The
 * resubmission is a PENDING → PENDING update, which the pipe's filter does not enqueue again: the message
 * being processed is the only one that will ever carry it, so its outcome must be the new submission's.
 */
let emulator: Emulator;
let pipeline: TestPipeline | undefined;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterEach(async () => {
  destroyTestPipeline(pipeline);
  pipeline = undefined;
  await emulator.reset();
});

afterAll(async () => {
  await emulator?.stop();
});

async function putInput(p: TestPipeline, rest: string, body: string): Promise<void> {
  await p.s3.send(new PutObjectCommand({ Bucket: p.bucketName, Key: `${INPUT_PREFIX}${rest}`, Body: body }));
}

async function putRow(p: TestPipeline, row: Record<string, unknown>): Promise<void> {
  await p.documents.send(new PutCommand({ TableName: p.tableName, Item: row }));
}

async function readRow(p: TestPipeline, id: string) {
  const { Item } = await p.documents.send(
    new GetCommand({ TableName: p.tableName, Key: { [ItemAttribute.id]: id }, ConsistentRead: true }),
  );
  return Item;
}

async function readOutput(p: TestPipeline, rest: string): Promise<string> {
  const { Body } = await p.s3.send(new GetObjectCommand({ Bucket: p.bucketName, Key: `${OUTPUT_PREFIX}${rest}` }));
  return Body!.transformToString();
}

const pendingRow = (s3Path: string, token?: string) => ({
  [ItemAttribute.id]: 'resubmitted',
  [ItemAttribute.status]: ItemStatus.PENDING,
  [ItemAttribute.s3Path]: s3Path,
  ...(token === undefined ? {} : { [ItemAttribute.requestToken]: token }),
});

describe('a row resubmitted between the read and the outcome write (emulator)', () => {
  it('to another path: the row ends FINISHED with the new path\'s output, nothing lost', async () => {
    const p = (pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 30 }));
    await putInput(p, 'p1.txt', 'first submission');
    await putInput(p, 'p2.txt', 'second submission');
    const first = pendingRow(inputPath(p, 'p1.txt'));
    await putRow(p, first);
    await p.sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: streamRecordBody(first) }));

    const { events, dynamodbInjected } = await runWorkerWithFaults(p, {
      dynamodb: [{ matches: isUpdateItem, times: 1, before: () => putRow(p, pendingRow(inputPath(p, 'p2.txt'))) }],
    });

    expect(dynamodbInjected).toEqual([1]);
    const row = await readRow(p, 'resubmitted');
    expect(row).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.s3Path]: inputPath(p, 'p2.txt'),
      [ItemAttribute.outputPath]: `s3://${p.bucketName}/${OUTPUT_PREFIX}p2.txt`,
    });
    expect(await readOutput(p, 'p2.txt')).toBe('second submission');
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_resubmitted', item_id: 'resubmitted' }));
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('to the same path with a fresh request token (and new content): the output is the new content', async () => {
    const p = (pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 30 }));
    await putInput(p, 'same.txt', 'version 1');
    const first = pendingRow(inputPath(p, 'same.txt'), 'token-1');
    await putRow(p, first);
    await p.sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: streamRecordBody(first) }));
    const resubmit = async () => {
      await putInput(p, 'same.txt', 'version 2');
      await putRow(p, pendingRow(inputPath(p, 'same.txt'), 'token-2'));
    };

    const { dynamodbInjected } = await runWorkerWithFaults(p, {
      dynamodb: [{ matches: isUpdateItem, times: 1, before: resubmit }],
    });

    expect(dynamodbInjected).toEqual([1]);
    expect(await readRow(p, 'resubmitted')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.requestToken]: 'token-2',
    });
    expect(await readOutput(p, 'same.txt')).toBe('version 2');
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});
