import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ItemAttribute, ItemStatus } from '../../../contracts';
import { AlreadyRecordedError, readItem, recordFailed, recordFinished } from '../../../worker/table';

const documentMock = mockClient(DynamoDBDocumentClient);
const table = { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' };

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
      outputPath: 's3://b/data/output/x',
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: 'items', Key: { id: 'a' }, ConditionExpression: '#status = :pending' });
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

  it('turns a failed condition into AlreadyRecordedError carrying the id and the current status', async () => {
    documentMock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { status: { S: 'FINISHED' } },
      }),
    );

    const attempt = recordFinished(table, { itemId: 'a', outputPath: 'o', finishedAt: 't', workerInstanceId: 'i' });

    await expect(attempt).rejects.toBeInstanceOf(AlreadyRecordedError);
    await expect(attempt).rejects.toMatchObject({ itemId: 'a', currentStatus: ItemStatus.FINISHED });
  });

  it('rethrows errors it does not understand', async () => {
    documentMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(recordFinished(table, { itemId: 'a', outputPath: 'o', finishedAt: 't', workerInstanceId: 'i' })).rejects.toThrow(
      'throttled',
    );
  });
});

describe('recordFailed', () => {
  it('sets FAILED with the reason, time and instance only while the row is PENDING', async () => {
    documentMock.on(UpdateCommand).resolves({});

    await recordFailed(table, {
      itemId: 'a',
      reason: 's3_path is missing',
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const input = documentMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe('#status = :pending');
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
