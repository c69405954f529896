import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { PEEK_MAX_EVENTS, readQueuedEvents } from '../../../ops/effects/events';
import { runCli } from '../../../ops/program';

/**
 * "After a message is received three times (or more) and not processed, the message is moved to the back of the
 * queue and the ApproximateAgeOfOldestMessage metric points at the second-oldest message that hasn't been
 * received more than three times." (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html)
 * A peek must therefore receive each event once, not until SQS repeats itself.
 */
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/rag-pipeline-dev-outcomes';
const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });

const message = (id: string, sentAt: number) => ({
  MessageId: id,
  ReceiptHandle: `handle-${id}`,
  Body: JSON.stringify({ detail: { id } }),
  Attributes: { SentTimestamp: String(sentAt), ApproximateReceiveCount: '1' },
});

beforeEach(() => sqsMock.reset());
afterAll(() => sqsMock.restore());

describe('pipeline events', () => {
  it('peeks with one receive, visibility 0, even when SQS would return more', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('b', 2), message('a', 1)] }).resolves({ Messages: [message('c', 3)] });

    const events = await readQueuedEvents(sqs, QUEUE_URL, { max: PEEK_MAX_EVENTS, consume: false });

    expect(events.map((event) => event.messageId)).toEqual(['a', 'b']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input).toMatchObject({ MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
  });

  it('keeps consuming round after round until nothing new comes', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a', 1)] })
      .resolvesOnce({ Messages: [message('b', 2)] })
      .resolves({ Messages: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    const events = await readQueuedEvents(sqs, QUEUE_URL, { max: 20, consume: true });

    expect(events.map((event) => event.messageId)).toEqual(['a', 'b']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(3);
  });

  it('refuses a peek of more than one receive can show, saying why', async () => {
    const errors: string[] = [];
    const io = { out: () => undefined, err: (text: string) => void errors.push(text), interactive: false };

    const code = await runCli(['events', '--max', '20'], { io, env: {}, cwd: '/nonexistent' });

    expect(code).toBe(1);
    expect(errors.join('')).toBe(
      "pipeline: --max above 10 needs --consume: a peek is one receive (at most 10 events), because an event received three times no longer counts for the outcome queue's age alarm\n",
    );
  });
});
