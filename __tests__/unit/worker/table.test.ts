import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ItemAttribute, ItemStatus } from '../../../contracts';
import { AlreadyRecordedError, readItem, recordFailed, recordFinished, recordInterrupted, ResubmittedError } from '../../../worker/table';

const documentMock = mockClient(DynamoDBDocumentClient);
const table = { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' };
const submission = { s3Path: 's3://b/data/input/x', requestToken: 'token-1', processor: undefined };
const copied = { locationKey: 'data/output/x', keys: ['data/output/x'] };
const finished = { itemId: 'a', submission, processedBy: 'copy', bucketName: 'b', output: copied, finishedAt: 't', workerInstanceId: 'i' };

/** What an update's SET clause assigns, by attribute name. */
function assignments(input: { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }) {
  const names = input.ExpressionAttributeNames!;
  const values = input.ExpressionAttributeValues!;
  return Object.fromEntries([...input.UpdateExpression!.matchAll(/(#\w+) = (:\w+)/g)].map(([, name, value]) => [names[name], values[value]]));
}

/** The attributes an update's REMOVE clause removes, by name. */
function removals(input: { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> }) {
  const clause = /REMOVE (.*)$/.exec(input.UpdateExpression!)?.[1] ?? '';
  return clause.split(', ').map((name) => input.ExpressionAttributeNames![name]);
}
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item as never });

beforeEach(() => documentMock.reset());

describe('readItem', () => {
  it('reads the row by id with a consistent read', async () => {
    documentMock.on(GetCommand).resolves({ Item: { id: 'a', status: 'PENDING' } });

    await expect(readItem(table, 'a')).resolves.toEqual({ id: 'a', status: 'PENDING' });
    expect(documentMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'items',
      Key: { [ItemAttribute.id]: 'a' },
      ConsistentRead: true,
    });
  });

  it('returns undefined for a missing row', async () => {
    documentMock.on(GetCommand).resolves({});

    await expect(readItem(table, 'gone')).resolves.toBeUndefined();
  });
});

describe('recordFinished', () => {
  it('sets FINISHED with the processor, the outputs, time and instance only while the row is PENDING', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFinished(table, {
      itemId: 'a',
      submission,
      processedBy: 'copy',
      bucketName: 'b',
      output: copied,
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: 'items', Key: { id: 'a' } });
    expect(input.ConditionExpression).toMatch(/^#status = :pending AND /);
    expect(assignments(input)).toEqual({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.finishedAt]: '2026-11-25T16:00:00.000Z',
      [ItemAttribute.outputPath]: 's3://b/data/output/x',
      [ItemAttribute.outputCount]: 1,
      [ItemAttribute.outputKeys]: ['data/output/x'],
      [ItemAttribute.processedBy]: 'copy',
      [ItemAttribute.workerInstanceId]: 'i-1',
    });
    // What an earlier outcome of the row left: its reason, and the other form of its output listing.
    // Nothing known of the instance or the run: an earlier run's figures do not stay on the row.
    expect(removals(input)).toEqual([ItemAttribute.failureReason, ItemAttribute.outputManifest, ItemAttribute.instanceType, ItemAttribute.purchaseOption, ItemAttribute.processingSeconds, ItemAttribute.instanceSeconds]);
    expect(input.ExpressionAttributeValues![':pending']).toBe(ItemStatus.PENDING);
  });

  it('names a manifest instead of listing the keys, and sets the processor\'s own numbers', async () => {
    documentMock.on(UpdateCommand).resolves({});
    const keys = Array.from({ length: 25 }, (_, index) => `data/output/x/part-${index}`);

    await recordFinished(table, {
      ...finished,
      output: { locationKey: 'data/output/x/', keys, manifestKey: 'data/output/x/_manifest.json', attributes: { chunk_count: 7 } },
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(assignments(input)).toMatchObject({
      [ItemAttribute.outputPath]: 's3://b/data/output/x/',
      [ItemAttribute.outputCount]: 25,
      [ItemAttribute.outputManifest]: 's3://b/data/output/x/_manifest.json',
      chunk_count: 7,
    });
    expect(assignments(input)).not.toHaveProperty(ItemAttribute.outputKeys);
    expect(removals(input)).toEqual([ItemAttribute.failureReason, ItemAttribute.outputKeys, ItemAttribute.instanceType, ItemAttribute.purchaseOption, ItemAttribute.processingSeconds, ItemAttribute.instanceSeconds]);
  });

  it.each([
    {
      case: 'the row still holds the path and token it was read with',
      submission: { s3Path: 's3://b/data/input/x', requestToken: 'token-1', processor: undefined },
      condition: '#status = :pending AND #s3Path = :s3Path AND #token = :token AND attribute_not_exists(#processor)',
      values: { ':s3Path': 's3://b/data/input/x', ':token': 'token-1' },
    },
    {
      case: 'the row still names the processor it was read with',
      submission: { s3Path: 's3://b/data/input/x', requestToken: 'token-1', processor: 'scan' },
      condition: '#status = :pending AND #s3Path = :s3Path AND #token = :token AND #processor = :processor',
      values: { ':s3Path': 's3://b/data/input/x', ':token': 'token-1', ':processor': 'scan' },
    },
    {
      case: 'the token is still absent (read without one)',
      submission: { s3Path: 's3://b/data/input/x', requestToken: undefined, processor: undefined },
      condition: '#status = :pending AND #s3Path = :s3Path AND attribute_not_exists(#token) AND attribute_not_exists(#processor)',
      values: { ':s3Path': 's3://b/data/input/x' },
    },
    {
      case: 'the s3_path is still absent',
      submission: { s3Path: undefined, requestToken: undefined, processor: undefined },
      condition: '#status = :pending AND attribute_not_exists(#s3Path) AND attribute_not_exists(#token) AND attribute_not_exists(#processor)',
      values: {},
    },
    {
      case: 'the s3_path is still the same number',
      submission: { s3Path: 42, requestToken: undefined, processor: undefined },
      condition: '#status = :pending AND #s3Path = :s3Path AND attribute_not_exists(#token) AND attribute_not_exists(#processor)',
      values: { ':s3Path': 42 },
    },
    {
      case: 'the s3_path is still a list (pinned by type: equality is for scalars)',
      submission: { s3Path: ['s3://b/data/input/x'], requestToken: undefined, processor: undefined },
      condition: '#status = :pending AND attribute_type(#s3Path, :s3PathType) AND attribute_not_exists(#token) AND attribute_not_exists(#processor)',
      values: { ':s3PathType': 'L' },
    },
  ])('writes only while $case', async ({ submission: read, condition, values }) => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFinished(table, { ...finished, submission: read });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe(condition);
    expect(input.ExpressionAttributeNames).toMatchObject({
      '#status': ItemAttribute.status,
      '#s3Path': ItemAttribute.s3Path,
      '#token': ItemAttribute.requestToken,
      '#processor': ItemAttribute.processor,
    });
    const placeholders = Object.fromEntries(
      Object.entries(input.ExpressionAttributeValues!).filter(([key]) => /^:(s3Path|token|processor)/.test(key)),
    );
    expect(placeholders).toEqual(values);
  });

  it('turns a failed condition into AlreadyRecordedError carrying the id and the current status', async () => {
    documentMock.on(UpdateCommand).rejects(conditionFailed({ status: { S: 'FINISHED' } }));

    const attempt = recordFinished(table, finished);

    await expect(attempt).rejects.toBeInstanceOf(AlreadyRecordedError);
    await expect(attempt).rejects.toMatchObject({ itemId: 'a', currentStatus: ItemStatus.FINISHED });
  });

  it('reports a row deleted meanwhile as recorded (there is nothing left to write to)', async () => {
    documentMock.on(UpdateCommand).rejects(conditionFailed());

    await expect(recordFinished(table, finished)).rejects.toMatchObject({ name: 'AlreadyRecordedError', currentStatus: undefined });
  });

  it('turns a failed condition on a row still PENDING into ResubmittedError: another submission, still to do', async () => {
    documentMock
      .on(UpdateCommand)
      .rejects(conditionFailed({ status: { S: 'PENDING' }, s3_path: { S: 's3://b/data/input/other' } }));

    const attempt = recordFinished(table, finished);

    await expect(attempt).rejects.toBeInstanceOf(ResubmittedError);
    await expect(attempt).rejects.toMatchObject({ itemId: 'a' });
  });

  it('rethrows errors it does not understand', async () => {
    documentMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(recordFinished(table, finished)).rejects.toThrow('throttled');
  });
});

describe('the instance and run time on the outcome', () => {
  const usage = { instanceType: 'c7i.large', purchaseOption: 'spot', processingSeconds: 12.5, instanceSeconds: 4.25 };

  it('records where and how long a row was processed with FINISHED', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFinished(table, { ...finished, usage });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(assignments(input)).toMatchObject({
      [ItemAttribute.instanceType]: 'c7i.large',
      [ItemAttribute.purchaseOption]: 'spot',
      [ItemAttribute.processingSeconds]: 12.5,
      [ItemAttribute.instanceSeconds]: 4.25,
    });
    expect(removals(input)).toEqual([ItemAttribute.failureReason, ItemAttribute.outputManifest]);
  });

  it('records the instance with FAILED, and no run time when no processor ran', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFailed(table, {
      itemId: 'a',
      submission: { s3Path: undefined, requestToken: undefined, processor: undefined },
      processedBy: 'copy',
      reason: 's3_path is missing',
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
      usage: { instanceType: 'c7i.large', purchaseOption: 'on-demand' },
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(assignments(input)).toMatchObject({ [ItemAttribute.instanceType]: 'c7i.large', [ItemAttribute.purchaseOption]: 'on-demand' });
    expect(removals(input)).toEqual([ItemAttribute.processingSeconds, ItemAttribute.instanceSeconds]);
  });
});

describe('recordInterrupted', () => {
  it('counts one interruption and its time on a row still PENDING', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordInterrupted(table, 'a', '2026-11-25T16:00:00.000Z');

    expect(documentMock.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      Key: { id: 'a' },
      UpdateExpression: 'ADD #interruptions :one SET #interruptedAt = :at',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#interruptions': 'interruptions', '#interruptedAt': 'interrupted_at', '#status': 'status' },
      ExpressionAttributeValues: { ':one': 1, ':at': '2026-11-25T16:00:00.000Z', ':pending': 'PENDING' },
    });
  });

  it('leaves a row that is no longer PENDING alone', async () => {
    documentMock.on(UpdateCommand).rejects(conditionFailed({ status: { S: 'FINISHED' } }));

    await expect(recordInterrupted(table, 'a', '2026-11-25T16:00:00.000Z')).resolves.toBeUndefined();
  });
});

describe('recordFailed', () => {
  it('sets FAILED with the reason, the processor, time and instance only while the row is PENDING', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFailed(table, {
      itemId: 'a',
      submission: { s3Path: undefined, requestToken: undefined, processor: undefined },
      processedBy: 'copy',
      reason: 's3_path is missing',
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe(
      '#status = :pending AND attribute_not_exists(#s3Path) AND attribute_not_exists(#token) AND attribute_not_exists(#processor)',
    );
    expect(assignments(input)).toEqual({
      [ItemAttribute.status]: ItemStatus.FAILED,
      [ItemAttribute.failureReason]: 's3_path is missing',
      [ItemAttribute.processedBy]: 'copy',
      [ItemAttribute.finishedAt]: '2026-11-25T16:00:00.000Z',
      [ItemAttribute.workerInstanceId]: 'i-1',
    });
  });
});
