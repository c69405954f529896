import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { COPY_ONLY_CATALOG, ItemAttribute, ItemStatus, ProcessorType, type ProcessorCatalog } from '../../../contracts';
import { CATALOG_REFRESH_INTERVAL_MS } from '../../../worker/processors/registry';
import { handleMessage, type JobDependencies } from '../../../worker/job';
import { recordingLogger } from '../../support/worker-logger';
import { rowPipeMessage } from '../../../local/standins/pipe-message';
import { processorRegistry } from '../../support/processors';

const BUCKET = 'pipeline-bucket';
const s3Mock = mockClient(S3Client);
const documentMock = mockClient(DynamoDBDocumentClient);
const row = (attributes: Record<string, unknown>) => ({ [ItemAttribute.id]: 'item-1', ...attributes });
const pendingRow = (s3Path: unknown) => row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: s3Path });
const message = (body = rowPipeMessage(pendingRow(`s3://${BUCKET}/data/input/a.txt`)), receiveCount = 2) => ({
  MessageId: 'message-1',
  ReceiptHandle: 'rh',
  Body: body,
  Attributes: { ApproximateReceiveCount: String(receiveCount) },
});
const MAX_RECEIVE_COUNT = 5;
const slowDown = () =>
  Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
const stillPending = () =>
  new ConditionalCheckFailedException({ message: 'conditional', $metadata: {}, Item: { status: { S: ItemStatus.PENDING } } });

function dependencies(overrides: Partial<JobDependencies> = {}) {
  const { logger, events, names } = recordingLogger();
  const metrics = { recordProcessed: jest.fn(), recordFailure: jest.fn() };
  const deps: JobDependencies = {
    processors: processorRegistry(new S3Client({ region: 'us-east-1' })),
    table: { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' },
    bucketName: BUCKET,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    instanceId: 'i-1',
    logger,
    metrics,
    now: () => new Date('2026-11-25T16:00:00.000Z'),
    ...overrides,
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
    expect(metrics.recordProcessed).toHaveBeenCalledWith(42, expect.any(Number));
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'item_finished',
        message_id: 'message-1',
        item_id: 'item-1',
        source_key: 'data/input/a.txt',
        output_key: 'data/output/a.txt',
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

  it('records FAILED for a processor that is not configured, listing the known ones and never touching S3', async () => {
    documentMock.on(GetCommand).resolves({ Item: { ...pendingRow(`s3://${BUCKET}/data/input/a.txt`), [ItemAttribute.processor]: 'ocr' } });
    const { deps, events } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(s3Mock).not.toHaveReceivedAnyCommand();
    const values = documentMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues!;
    expect(values[':reason']).toBe('processor ‘ocr’ is not configured; the configured processors are copy');
    expect(values[':processedBy']).toBe('ocr');
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_failed', processor: 'ocr' }));
  });

  it('reads the catalog again before failing a row whose processor is unknown, and runs it when a deploy added it', async () => {
    documentMock.on(GetCommand).resolves({ Item: { ...pendingRow(`s3://${BUCKET}/data/input/a.txt`), [ItemAttribute.processor]: 'mirror' } });
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 3, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    const withMirror = { ...COPY_ONLY_CATALOG, processors: { ...COPY_ONLY_CATALOG.processors, mirror: { type: ProcessorType.copy } } };
    const reload = jest.fn(async () => withMirror);
    const processors = processorRegistry(new S3Client({ region: 'us-east-1' }), COPY_ONLY_CATALOG, reload);
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + CATALOG_REFRESH_INTERVAL_MS);
    const { deps } = dependencies({ processors });

    try {
      await expect(handleMessage(deps, message())).resolves.toBe('delete');
    } finally {
      jest.restoreAllMocks();
    }

    expect(reload).toHaveBeenCalledTimes(1);
    expect(recordedStatus()).toBe(ItemStatus.FINISHED);
    expect(documentMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues![':processedBy']).toBe('mirror');
  });

  it('leaves the message for later when the catalog cannot be read again for an unknown processor', async () => {
    documentMock.on(GetCommand).resolves({ Item: { ...pendingRow(`s3://${BUCKET}/data/input/a.txt`), [ItemAttribute.processor]: 'mirror' } });
    const reload = jest.fn(async (): Promise<ProcessorCatalog> => {
      throw Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' });
    });
    const processors = processorRegistry(new S3Client({ region: 'us-east-1' }), COPY_ONLY_CATALOG, reload);
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + CATALOG_REFRESH_INTERVAL_MS);
    const { deps } = dependencies({ processors });

    try {
      await expect(handleMessage(deps, message())).rejects.toThrow('Service Unavailable');
    } finally {
      jest.restoreAllMocks();
    }
    expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('records the processor and its outputs with FINISHED', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/a.txt`) });
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 3, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    const { deps } = dependencies();

    await handleMessage(deps, message());

    expect(documentMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues).toMatchObject({
      ':processedBy': 'copy',
      ':outputPath': `s3://${BUCKET}/data/output/a.txt`,
      ':outputCount': 1,
      ':outputKeys': ['data/output/a.txt'],
    });
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
    s3Mock.on(CopyObjectCommand).rejects(slowDown());
    const { deps } = dependencies();

    await expect(handleMessage(deps, message(undefined, MAX_RECEIVE_COUNT - 1))).rejects.toThrow(
      'Please reduce your request rate.',
    );

    expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  describe('on the last allowed receive (ApproximateReceiveCount ≥ maxReceiveCount)', () => {
    beforeEach(() => {
      documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/a.txt`) });
      s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"e"' });
      s3Mock.on(CopyObjectCommand).rejects(slowDown());
    });

    it('records FAILED with the last error and asks for the delete, instead of leaving the row to the DLQ', async () => {
      const { deps, events, metrics } = dependencies();

      await expect(handleMessage(deps, message(undefined, MAX_RECEIVE_COUNT))).resolves.toBe('delete');

      const update = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
      expect(recordedStatus()).toBe(ItemStatus.FAILED);
      expect(Object.values(update.ExpressionAttributeValues!)).toContain(
        'gave up after 5 receives, last error: SlowDown: Please reduce your request rate.',
      );
      // Pinned to the submission that was read, like every outcome.
      expect(update.ConditionExpression).toContain('#s3Path = :s3Path');
      expect(metrics.recordFailure).toHaveBeenCalledTimes(1);
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'item_failed', item_id: 'item-1', last_receive: true, receive_count: 5 }),
      );
    });

    it.each([
      { case: 'the job was aborted (a stop, or the message taken by another receive)', aborted: true, max: MAX_RECEIVE_COUNT },
      { case: 'no maxReceiveCount is configured', aborted: false, max: undefined },
    ])('still leaves the message when $case', async ({ aborted, max }) => {
      const { deps } = dependencies({ maxReceiveCount: max });
      const controller = new AbortController();
      if (aborted) controller.abort();

      await expect(handleMessage(deps, message(undefined, MAX_RECEIVE_COUNT), controller.signal)).rejects.toThrow();

      expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('leaves the message when the row itself cannot be read: there is no submission to pin a write to', async () => {
      documentMock.on(GetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
      const { deps } = dependencies();

      await expect(handleMessage(deps, message(undefined, MAX_RECEIVE_COUNT))).rejects.toThrow('throttled');

      expect(documentMock).not.toHaveReceivedCommand(UpdateCommand);
    });
  });

  it('reads a row resubmitted during the copy again and processes its new submission, keeping the message meanwhile', async () => {
    // The row was P1 when read; by the time of the write it is P2, still PENDING (a PENDING → PENDING update the
    // pipe does not enqueue again: this message is the only one that will ever carry it).
    documentMock
      .on(GetCommand)
      .resolvesOnce({ Item: pendingRow(`s3://${BUCKET}/data/input/p1.txt`) })
      .resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/p2.txt`) });
    documentMock.on(UpdateCommand).rejectsOnce(stillPending()).resolves({});
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 3, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    const { deps, events, metrics } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(s3Mock.commandCalls(CopyObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      'data/output/p1.txt',
      'data/output/p2.txt',
    ]);
    const writes = documentMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.ExpressionAttributeValues!);
    expect(writes.map((values) => values[':s3Path'])).toEqual([
      `s3://${BUCKET}/data/input/p1.txt`,
      `s3://${BUCKET}/data/input/p2.txt`,
    ]);
    expect(writes[1][':outputPath']).toBe(`s3://${BUCKET}/data/output/p2.txt`);
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_resubmitted', item_id: 'item-1', read: 1 }));
    expect(metrics.recordProcessed).toHaveBeenCalledTimes(1);
  });

  it('leaves a row resubmitted again and again to the next receive', async () => {
    documentMock.on(GetCommand).resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/a.txt`) });
    documentMock.on(UpdateCommand).rejects(stillPending());
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 3, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    const { deps } = dependencies();

    await expect(handleMessage(deps, message())).rejects.toMatchObject({ name: 'RowKeepsChangingError' });

    expect(documentMock).toHaveReceivedCommandTimes(GetCommand, 3);
  });

  it('reads a bad row resubmitted before its FAILED write again, and copies the good path it now has', async () => {
    documentMock
      .on(GetCommand)
      .resolvesOnce({ Item: pendingRow('s3://elsewhere/data/input/a.txt') })
      .resolves({ Item: pendingRow(`s3://${BUCKET}/data/input/fixed.txt`) });
    documentMock.on(UpdateCommand).rejectsOnce(stillPending()).resolves({});
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 3, ETag: '"e"' });
    s3Mock.on(CopyObjectCommand).resolves({});
    const { deps } = dependencies();

    await expect(handleMessage(deps, message())).resolves.toBe('delete');

    expect(s3Mock).toHaveReceivedCommandWith(CopyObjectCommand, { Key: 'data/output/fixed.txt' });
    expect(documentMock.commandCalls(UpdateCommand)[1].args[0].input.ExpressionAttributeValues![':finished']).toBe(
      ItemStatus.FINISHED,
    );
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

    expect(metrics.recordProcessed).not.toHaveBeenCalled();
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'item_skipped', reason: expect.stringContaining('status FINISHED') }),
    );
  });
});
