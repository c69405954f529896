import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { RedriveOutcome } from '../report';

/** SQS's batch limit. */
const BATCH_SIZE = 10;
/** Long polling asks every SQS server, so an empty answer means the queue is really empty. */
const WAIT_SECONDS = 1;
/** Received messages stay hidden this long; messages that fail to send reappear in the DLQ after it. */
const VISIBILITY_TIMEOUT_SECONDS = 60;

export interface RedriveOptions {
  readonly deadLetterQueueUrl: string;
  readonly queueUrl: string;
  /** Stop after this many messages; undefined moves until the dead-letter queue answers empty. */
  readonly max?: number;
}

/**
 * Moves messages from the dead-letter queue to the work queue: receive, send, then delete only what was
 * sent. A crash between send and delete leaves a copy in both queues, which the idempotent worker tolerates.
 * (SQS's StartMessageMoveTask would do this server-side, but the emulator does not implement it.)
 */
export async function redrive(sqs: SQSClient, options: RedriveOptions): Promise<RedriveOutcome> {
  let moved = 0;
  let failed = 0;
  for (;;) {
    const wanted = Math.min(BATCH_SIZE, (options.max ?? Infinity) - moved - failed);
    if (wanted <= 0) break;
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MaxNumberOfMessages: wanted,
        WaitTimeSeconds: WAIT_SECONDS,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        MessageAttributeNames: ['All'],
      }),
    );
    if (messages.length === 0) break;
    const sent = await sendBatch(sqs, options.queueUrl, messages);
    if (sent.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.deadLetterQueueUrl,
          Entries: sent.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    moved += sent.length;
    failed += messages.length - sent.length;
  }
  return { moved, failed };
}

async function sendBatch(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<Message[]> {
  const { Successful: successful = [] } = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        MessageBody: message.Body ?? '',
        MessageAttributes: message.MessageAttributes,
      })),
    }),
  );
  return successful.map((entry) => messages[Number(entry.Id)]);
}
