import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { interruptionsOf, requeueInterrupted, type RequeueDependencies } from '../../../worker/requeue';
import { recordingLogger } from '../../support/worker-logger';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/queue';
const sqsMock = mockClient(SQSClient);
const documentMock = mockClient(DynamoDBDocumentClient);
const BODY = JSON.stringify({
  eventID: '1',
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: { Keys: { id: { S: 'row-1' } }, NewImage: { id: { S: 'row-1' }, status: { S: 'PENDING' } }, SequenceNumber: '1', SizeBytes: 1, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/items/stream/x',
});

function message(interruptions?: string): Message {
  return {
    MessageId: 'm-1',
    ReceiptHandle: 'rh-1',
    Body: BODY,
    ...(interruptions === undefined ? {} : { MessageAttributes: { 'rag-interruptions': { DataType: 'Number', StringValue: interruptions } } }),
  };
}

function dependencies(retries = 5) {
  const { logger, names } = recordingLogger();
  const deps: RequeueDependencies = {
    sqs: new SQSClient({ region: 'us-east-1' }),
    queueUrl: QUEUE_URL,
    table: { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' },
    interruptionRetries: retries,
    logger,
    now: () => new Date('2026-11-25T16:01:15.000Z'),
  };
  return { deps, names };
}

beforeEach(() => {
  sqsMock.reset();
  documentMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
  sqsMock.on(DeleteMessageCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
  documentMock.on(UpdateCommand).resolves({});
});

describe('requeueInterrupted', () => {
  it('sends the message again with one more interruption, then deletes the original: no receive is spent', async () => {
    const { deps, names } = dependencies();

    await requeueInterrupted(deps, message('2'));

    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: BODY, MessageAttributes: { 'rag-interruptions': { DataType: 'Number', StringValue: '3' } } },
    ]);
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1' });
    // Sent before deleted: nothing is lost if the worker dies in between.
    expect(sqsMock.calls().map((call) => call.args[0].constructor.name)).toEqual(['SendMessageCommand', 'DeleteMessageCommand']);
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
    expect(names()).toContain('message_requeued');
  });

  it('hides the message sent again for the delay it is given', async () => {
    const { deps } = dependencies();

    await requeueInterrupted(deps, message('1'), 17);

    expect(sqsMock.commandCalls(SendMessageCommand)[0].args[0].input).toMatchObject({ DelaySeconds: 17 });
  });

  it('counts the interruption on the row, while it is PENDING', async () => {
    const { deps } = dependencies();

    await requeueInterrupted(deps, message());

    expect(documentMock.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      Key: { id: 'row-1' },
      ConditionExpression: '#status = :pending',
      ExpressionAttributeValues: expect.objectContaining({ ':one': 1, ':at': '2026-11-25T16:01:15.000Z' }),
    });
    expect(sqsMock.commandCalls(SendMessageCommand)[0].args[0].input.MessageAttributes).toEqual({
      'rag-interruptions': { DataType: 'Number', StringValue: '1' },
    });
  });

  it('beyond the bound, releases the message at once: this receive counts, so a row interrupted without end still ends', async () => {
    const { deps, names } = dependencies(5);

    await requeueInterrupted(deps, message('5'));

    expect(sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageCommand);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1', VisibilityTimeout: 0 });
    expect(names()).toEqual(expect.arrayContaining(['interruptions_exhausted', 'message_released']));
  });

  it('releases the message when it cannot be sent again, and keeps it (no delete)', async () => {
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('network down'), { name: 'NetworkingError' }));
    const { deps, names } = dependencies();

    await requeueInterrupted(deps, message('1'));

    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageCommand);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: 0 });
    expect(names()).toEqual(expect.arrayContaining(['requeue_failed', 'message_released']));
  });

  it('never throws: a row it cannot update and a delete that fails are logged', async () => {
    documentMock.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    sqsMock.on(DeleteMessageCommand).rejects(Object.assign(new Error('gone'), { name: 'ReceiptHandleIsInvalid' }));
    const { deps, names } = dependencies();

    await expect(requeueInterrupted(deps, message())).resolves.toBeUndefined();
    expect(names()).toEqual(expect.arrayContaining(['interruption_not_recorded', 'delete_failed', 'message_requeued']));
  });
});

describe('interruptionsOf', () => {
  it.each([
    { case: 'the pipe’s message', attributes: undefined, expected: 0 },
    { case: 'a count', attributes: { 'rag-interruptions': { DataType: 'Number', StringValue: '3' } }, expected: 3 },
    { case: 'a count that is not one', attributes: { 'rag-interruptions': { DataType: 'Number', StringValue: '-2' } }, expected: 0 },
  ])('reads $case as $expected', ({ attributes, expected }) => {
    expect(interruptionsOf({ MessageAttributes: attributes })).toBe(expected);
  });
});
