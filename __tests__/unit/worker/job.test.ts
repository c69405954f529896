import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ItemAttribute, ItemStatus } from '../../../contracts';
import { handleMessage, type JobDependencies } from '../../../worker/job';
import { recordingLogger } from '../../support/worker-logger';
import { streamRecordBody } from '../../support/worker-records';

const BUCKET = 'pipeline-bucket';
const s3Mock = mockClient(S3Client);
const documentMock = mockClient(DynamoDBDocumentClient);
const row = (attributes: Record<string, unknown>) => ({ [ItemAttribute.id]: 'item-1', ...attributes });
const pendingRow = (s3Path: unknown) => row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: s3Path });
const message = (body = streamRecordBody(pendingRow(`s3://${BUCKET}/data/input/a.txt`))) => ({
  MessageId: 'message-1',
  ReceiptHandle: 'rh',
  Body: body,
  Attributes: { ApproximateReceiveCount: '2' },
});

function dependencies() {
  const { logger, events, names } = recordingLogger();
  const metrics = { recordCopy: jest.fn(), recordFailure: jest.fn() };
  const deps: JobDependencies = {
    s3: new S3Client({ region: 'us-east-1' }),
    table: { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' },
    bucketName: BUCKET,
    multipartThresholdBytes: 5 * 1024 ** 3,
    instanceId: 'i-1',
    logger,
    metrics,
    now: () => new Date('2026-11-25T16:00:00.000Z'),
  };
  return { deps, events, names, metrics };
}

/** The status a recorded update set, read back from its expression values. */
function recordedStatus(): unknown {
  const values = documentMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
  return Object.values(values).find((value) => value === ItemStatus.FINISHED || value === ItemStatus.FAILED);
}

beforeEach(() => {
  s3Mock.reset();
  documentMock.reset();
  documentMock.on(UpdateCommand).resolves({});
});

describe('handleMessage', () => {
  it('copies a PENDING row, records FINISHED, counts the copy and asks for the delete', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/a.txt`) });
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    const { deps, events, metrics } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(s3Mock).toHaveReceivedCommandWith(CopyObjectCommand, {
      Bucket: BUCKET,
      Key: 'data/output/a.txt',
      CopySource: `${BUCKET}/data/input/a.txt`,
    });
    expect(recordedStatus()).toBe(ItemStatus.FINISHED);
    expect(metrics.recordCopy).toHaveBeenCalledWith(42, expect.any(Number));
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'item_finished',
        message_id: 'message-1',
        item_id: 'item-1',
        source_key: 'data/input/a.txt',
        destination_key: 'data/output/a.txt',
        bytes: 42,
        receive_count: 2,
        duration_ms: expect.any(Number),
      }),
    );
  });

  it('leaves a body that does not parse, logging its message ID and the reason', async () => {
    const { deps, events } = dependencies();

    await expect(handleMessage(deps, message('not json'))).resolves.toBe('keep');

    expect(documentMock).not.toHaveReceivedCommand(GetCommand);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'message_unparseable',
        message_id: 'message-1',
        reason: expect.stringContaining('not JSON'),
      }),
    );
  });

  it('deletes the message of a row that no longer exists (nothing to record)', async () => {
    documentMock.on(GetCommand).resolves({});
    const { deps, names } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
    expect(names()).toContain('item_missing');
  });

  it('skips a FINISHED row without copying or writing', async () => {
    documentMock.on(GetCommand).resolves({ Item: row({ [ItemAttribute.status]: ItemStatus.FINISHED }) });
    const { deps, names } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(s3Mock).not.toHaveReceivedAnyCommand();
    expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
    expect(names()).toContain('item_skipped');
  });

  it('records FAILED for a bad path without touching S3', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow('s3://elsewhere/data/input/a.txt') });
    const { deps, events, metrics } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(s3Mock).not.toHaveReceivedAnyCommand();
    expect(recordedStatus()).toBe(ItemStatus.FAILED);
    expect(metrics.recordFailure).toHaveBeenCalledTimes(1);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'item_failed', reason: expect.stringContaining('must be in bucket') }),
    );
  });

  it('records FAILED when the source object is missing', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/gone.txt`) });
    s3Mock
      .on(HeadObjectCommand)
      .rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    const { deps } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    const values = Object.values(documentMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues!);
    expect(values).toContain(`source object does not exist: s3://${BUCKET}/data/input/gone.txt`);
  });

  it('throws on a transient copy error, recording nothing, so the message is redelivered', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/a.txt`) });
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"e"' });
    s3Mock
      .on(CopyObjectCommand)
      .rejects(
        Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }),
      );
    const { deps } = dependencies();

    await expect(handleMessage(deps, message())).rejects.toThrow('Please reduce your request rate.');

    expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('treats losing the race to another worker as done: logged, deleted, not counted', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/a.txt`) });
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    documentMock
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'conditional', $metadata: {}, Item: { status: { S: 'FINISHED' } } }),
      );
    const { deps, events, metrics } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(metrics.recordCopy).not.toHaveBeenCalled();
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'item_skipped', reason: expect.stringContaining('status FINISHED') }),
    );
  });
});
