import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

/** One message of the outcome queue: an item event, as EventBridge delivered it. */
export interface QueuedEvent {
  readonly messageId: string;
  /** When SQS received it (ms since the epoch). */
  readonly sentAt: number;
  /** Receives so far, this one included: every peek counts. */
  readonly receiveCount: number;
  /** The EventBridge event (the message body), or the raw body when it is not JSON. */
  readonly event: unknown;
}

export interface ReadEventsOptions {
  /** Stop after this many distinct events. */
  readonly max: number;
  /** Delete what was read; otherwise it stays in the queue for its consumer. */
  readonly consume: boolean;
}

/** Long polling asks every SQS server, so an empty answer means nothing more is visible. */
const WAIT_SECONDS = 1;
/**
 * The most events a peek shows: one ReceiveMessage, which returns at most 10. A peek receives once because
 * every receive counts: "After a message is received three times (or more) and not processed, the message is
 * moved to the back of the queue and the ApproximateAgeOfOldestMessage metric points at the second-oldest
 * message" (Available CloudWatch metrics for Amazon SQS), so repeated peeks would silence the outcome queue's
 * age alarm for exactly the events nobody consumes.
 */
export const PEEK_MAX_EVENTS = 10;
/** Consumed messages stay hidden until they are deleted a moment later. */
const CONSUME_VISIBILITY_SECONDS = 30;

/**
 * Reads up to `max` events from the queue, sorted oldest first. SQS returns a sample of the waiting messages,
 * not the newest. A peek (the default) is one receive with a visibility timeout of 0, so every event stays
 * visible to the queue's consumer and is received once per peek (at most PEEK_MAX_EVENTS). With `consume`,
 * each event is deleted once read, and reading goes on until a round brings nothing new or `max` is reached.
 */
export async function readQueuedEvents(sqs: SQSClient, queueUrl: string, options: ReadEventsOptions): Promise<QueuedEvent[]> {
  const seen = new Map<string, QueuedEvent>();
  for (;;) {
    const wanted = Math.min(10, options.max - seen.size);
    if (wanted <= 0) break;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: wanted,
        WaitTimeSeconds: WAIT_SECONDS,
        VisibilityTimeout: options.consume ? CONSUME_VISIBILITY_SECONDS : 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    const fresh = Messages.filter((message) => message.MessageId && !seen.has(message.MessageId));
    for (const message of fresh) seen.set(message.MessageId!, toQueuedEvent(message));
    if (options.consume && Messages.length > 0) await deleteMessages(sqs, queueUrl, Messages);
    if (fresh.length === 0 || !options.consume) break;
  }
  return [...seen.values()].sort((a, b) => a.sentAt - b.sentAt);
}

function toQueuedEvent(message: Message): QueuedEvent {
  let event: unknown = message.Body;
  try {
    event = JSON.parse(message.Body ?? '');
  } catch {
    // Not an EventBridge event: shown as it is.
  }
  return {
    messageId: message.MessageId!,
    sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    event,
  };
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  const entries = messages.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle! }));
  const { Failed = [] } = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  if (Failed.length > 0) throw new Error(`could not delete ${Failed.length} event(s) from ${queueUrl}: ${Failed.map((failure) => failure.Message).join('; ')}`);
}
