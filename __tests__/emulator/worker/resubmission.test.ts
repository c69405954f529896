import { ItemAttribute, ItemStatus, OUTPUT_PREFIX } from '../../../contracts';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { useEmulator } from '../../support/emulator';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  putRowAndMessage,
  readOutput,
  readRow,
  type TestPipeline,
} from '../../support/worker-fixtures';
import { isUpdateItem, runWorkerWithFaults } from '../../support/worker-in-process';
import { PutCommand } from '@aws-sdk/lib-dynamodb';

jest.setTimeout(120_000);

/**
 * A row resubmitted while a worker copies it (between the worker's read and its outcome write). The
 * resubmission is a PENDING → PENDING update, which the pipe's filter does not enqueue again: the message
 * being processed is the only one that will ever carry it, so its outcome must be the new submission's.
 */
const kit = useEmulator();
let pipeline: TestPipeline | undefined;

afterEach(() => {
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

async function putRow(p: TestPipeline, row: Record<string, unknown>): Promise<void> {
  await p.documents.send(new PutCommand({ TableName: p.tableName, Item: row }));
}

const pendingRow = (s3Path: string, token?: string) => ({
  [ItemAttribute.id]: 'resubmitted',
  [ItemAttribute.status]: ItemStatus.PENDING,
  [ItemAttribute.s3Path]: s3Path,
  ...(token === undefined ? {} : { [ItemAttribute.requestToken]: token }),
});

describe('a row resubmitted between the read and the outcome write (emulator)', () => {
  it('to another path: the row ends FINISHED with the new path\'s output, nothing lost', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 }));
    await putInput(p, 'p1.txt', 'first submission');
    await putInput(p, 'p2.txt', 'second submission');
    const first = pendingRow(inputPath(p, 'p1.txt'));
    await putRowAndMessage(p, first);

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
    expect((await readOutput(p, 'p2.txt')).toString()).toBe('second submission');
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_resubmitted', item_id: 'resubmitted' }));
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('to the same path with a fresh request token (and new content): the output is the new content', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 }));
    await putInput(p, 'same.txt', 'version 1');
    const first = pendingRow(inputPath(p, 'same.txt'), 'token-1');
    await putRowAndMessage(p, first);
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
    expect((await readOutput(p, 'same.txt')).toString()).toBe('version 2');
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});
