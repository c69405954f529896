import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ItemAttribute, ItemStatus } from '../../../contracts';
import { AlreadyRecordedError, readItem, recordFailed, recordFinished, ResubmittedError } from '../../../worker/table';

const documentMock = mockClient(DynamoDBDocumentClient);
const table = { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' };
const submission = { s3Path: 's3://b/data/input/x', requestToken: 'token-1' };
const finished = { itemId: 'a', submission, outputPath: 'o', finishedAt: 't', workerInstanceId: 'i' };
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
  it('sets FINISHED with time, output path and instance only while the row is PENDING', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFinished(table, {
      itemId: 'a',
      submission,
      outputPath: 's3://b/data/output/x',
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: 'items', Key: { id: 'a' } });
    expect(input.ConditionExpression).toMatch(/^#status = :pending AND /);
    const names = input.ExpressionAttributeNames!;
    const values = input.ExpressionAttributeValues!;
    const assigned = Object.fromEntries(
      [...input.UpdateExpression!.matchAll(/(#\w+) = (:\w+)/g)].map(([, name, value]) => [names[name], values[value]]),
    );
    expect(assigned).toEqual({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.finishedAt]: '2026-11-25T16:00:00.000Z',
      [ItemAttribute.outputPath]: 's3://b/data/output/x',
      [ItemAttribute.workerInstanceId]: 'i-1',
    });
    expect(input.UpdateExpression).toMatch(/REMOVE #reason$/);
    expect(names['#reason']).toBe(ItemAttribute.failureReason);
    expect(values[':pending']).toBe(ItemStatus.PENDING);
  });

  it.each([
    {
      case: 'the row still holds the path and token it was read with',
      submission: { s3Path: 's3://b/data/input/x', requestToken: 'token-1' },
      condition: '#status = :pending AND #s3Path = :s3Path AND #token = :token',
      values: { ':s3Path': 's3://b/data/input/x', ':token': 'token-1' },
    },
    {
      case: 'the token is still absent (read without one)',
      submission: { s3Path: 's3://b/data/input/x', requestToken: undefined },
      condition: '#status = :pending AND #s3Path = :s3Path AND attribute_not_exists(#token)',
      values: { ':s3Path': 's3://b/data/input/x' },
    },
    {
      case: 'the s3_path is still absent',
      submission: { s3Path: undefined, requestToken: undefined },
      condition: '#status = :pending AND attribute_not_exists(#s3Path) AND attribute_not_exists(#token)',
      values: {},
    },
    {
      case: 'the s3_path is still the same number',
      submission: { s3Path: 42, requestToken: undefined },
      condition: '#status = :pending AND #s3Path = :s3Path AND attribute_not_exists(#token)',
      values: { ':s3Path': 42 },
    },
    {
      case: 'the s3_path is still a list (pinned by type: equality is for scalars)',
      submission: { s3Path: ['s3://b/data/input/x'], requestToken: undefined },
      condition: '#status = :pending AND attribute_type(#s3Path, :s3PathType) AND attribute_not_exists(#token)',
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
    });
    const placeholders = Object.fromEntries(
      Object.entries(input.ExpressionAttributeValues!).filter(([key]) => /^:(s3Path|token)/.test(key)),
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

describe('recordFailed', () => {
  it('sets FAILED with the reason, time and instance only while the row is PENDING', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFailed(table, {
      itemId: 'a',
      submission: { s3Path: undefined, requestToken: undefined },
      reason: 's3_path is missing',
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe('#status = :pending AND attribute_not_exists(#s3Path) AND attribute_not_exists(#token)');
    expect(Object.values(input.ExpressionAttributeValues!)).toEqual(
      expect.arrayContaining([ItemStatus.FAILED, 's3_path is missing', '2026-11-25T16:00:00.000Z', 'i-1', ItemStatus.PENDING]),
    );
    expect(Object.values(input.ExpressionAttributeNames!)).toEqual(
      expect.arrayContaining([
        ItemAttribute.status,
        ItemAttribute.failureReason,
        ItemAttribute.finishedAt,
        ItemAttribute.workerInstanceId,
      ]),
    );
  });
});
