import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { INTERRUPTIONS_MESSAGE_ATTRIBUTE, WorkerLogEvent } from '../contracts';
import { describeError } from './describe-error';
import { requeueDecision } from './interruption';
import type { WorkerLogger } from './logger';
import { parseMessage } from './message';
import { recordInterrupted, type TableTarget } from './table';

export interface RequeueDependencies {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly table: TableTarget;
  /** Interruptions a row survives without spending a receive (WORKER_INTERRUPTION_RETRIES). */
  readonly interruptionRetries: number;
  readonly logger: WorkerLogger;
  readonly now: () => Date;
}

/**
 * Returns the message of a job an interruption stopped, so the interruption is no failure of its row
 * (interruption.ts, requeueDecision): up to the bound, the message is sent again, with its interruption count
 * plus one (hidden for `delaySeconds`, while this worker's own last receive may still be open), and only then deleted, so nothing is lost (a delete that fails leaves two messages for the row; the
 * row's conditional outcome write makes the second a no-op). Beyond the bound, or when the send fails, it is
 * released at once (visibility 0), which counts as a receive. The row records the interruption either way. Never
 * throws: what fails is logged, and the message comes back after its visibility timeout at worst.
 */
export async function requeueInterrupted(deps: RequeueDependencies, message: Message, delaySeconds = 0): Promise<void> {
  const interruptions = interruptionsOf(message);
  const log = { message_id: message.MessageId, interruptions };
  await noteOnRow(deps, message);
  const decision = requeueDecision(interruptions, deps.interruptionRetries);
  if (decision.action === 'resend') {
    try {
      await deps.sqs.send(
        new SendMessageCommand({
          QueueUrl: deps.queueUrl,
          MessageBody: message.Body,
          ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
          MessageAttributes: { [INTERRUPTIONS_MESSAGE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(decision.interruptions) } },
        }),
      );
    } catch (error) {
      deps.logger.warn({ event: WorkerLogEvent.requeueFailed, ...log, error: describeError(error) });
      await release(deps, message, log);
      return;
    }
    try {
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      deps.logger.warn({ event: WorkerLogEvent.deleteFailed, ...log, error: describeError(error) });
    }
    deps.logger.info({ event: WorkerLogEvent.messageRequeued, ...log, interruptions: decision.interruptions });
    return;
  }
  deps.logger.warn({ event: WorkerLogEvent.interruptionsExhausted, ...log, interruption_retries: deps.interruptionRetries });
  await release(deps, message, log);
}

/** The message's interruption count (its attribute; 0 for the pipe's messages, which carry none). */
export function interruptionsOf(message: Message): number {
  const value = Number(message.MessageAttributes?.[INTERRUPTIONS_MESSAGE_ATTRIBUTE]?.StringValue ?? 0);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

async function release(deps: RequeueDependencies, message: Message, log: Record<string, unknown>): Promise<void> {
  try {
    await deps.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
    deps.logger.info({ event: WorkerLogEvent.messageReleased, ...log });
  } catch (error) {
    deps.logger.warn({ event: WorkerLogEvent.releaseFailed, ...log, error: describeError(error) });
  }
}

/** Counts the interruption on the row, if the message names one and it is still PENDING. */
async function noteOnRow(deps: RequeueDependencies, message: Message): Promise<void> {
  let itemId: string;
  try {
    ({ itemId } = parseMessage(message.Body));
  } catch {
    return;
  }
  try {
    await recordInterrupted(deps.table, itemId, deps.now().toISOString());
  } catch (error) {
    deps.logger.warn({ event: WorkerLogEvent.interruptionNotRecorded, message_id: message.MessageId, item_id: itemId, error: describeError(error) });
  }
}
