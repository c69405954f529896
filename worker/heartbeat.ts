import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from './describe-error';
import type { WorkerLogger } from './logger';
import { heartbeatIntervalMs, isReceiptLost, planExtension } from './visibility';
import { WorkerLogEvent } from '../contracts';

/** The job's abort reason when its message was lost to another receive. */
export class MessageLostError extends Error {
  override readonly name = 'MessageLostError';
  constructor(readonly messageId: string | undefined, cause: unknown) {
    super(`message ${messageId ?? '(no id)'} is no longer held by this worker`, { cause });
  }
}

export interface HeartbeatOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly message: Message;
  /** When the ReceiveMessage that returned the message was sent (ms since the epoch). */
  readonly receivedAtMs: number;
  readonly visibilityTimeoutSeconds: number;
  /** The job's own controller: aborted when the message is lost, and the signal every extension carries. */
  readonly job: AbortController;
  readonly logger: WorkerLogger;
}

export interface Heartbeat {
  /** The job ended: no more beats, and a beat still in flight no longer speaks for the job. */
  stop(): void;
}

/**
 * Keeps one message invisible while its job runs: every third of the visibility timeout it extends the
 * visibility by a full timeout, capped at SQS's 12 hours from the receive. A failure that means the receipt
 * handle is gone aborts the job; any other failure is logged and the next beat tries again.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { sqs, queueUrl, message, receivedAtMs, visibilityTimeoutSeconds, job, logger } = options;
  const log = { message_id: message.MessageId };
  let ended = false;
  /** Until when the message is known to be invisible: the receive's timeout, then each successful extension. */
  let visibleAgainAtMs = receivedAtMs + visibilityTimeoutSeconds * 1000;
  const timer = setInterval(() => void beat(), heartbeatIntervalMs(visibilityTimeoutSeconds));

  // From the cap on nothing keeps the message hidden: another receive may take it when the current timeout
  // ends. The job goes on; its outcome write is conditional, so a second worker on the same row changes nothing.
  let capped = false;
  function capReached(): void {
    clearInterval(timer);
    if (capped) return;
    capped = true;
    logger.warn({ event: WorkerLogEvent.visibilityCapReached, ...log, visible_again_at: new Date(visibleAgainAtMs).toISOString() });
  }

  async function beat(): Promise<void> {
    const startedAtMs = Date.now();
    const plan = planExtension(receivedAtMs, startedAtMs, visibilityTimeoutSeconds);
    if (plan.kind === 'capped') return capReached();
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: plan.seconds }),
        { abortSignal: job.signal },
      );
    } catch (error) {
      if (ended || job.signal.aborted) return;
      if (isReceiptLost(error)) {
        clearInterval(timer);
        logger.warn({ event: WorkerLogEvent.messageLost, ...log, error: describeError(error) });
        job.abort(new MessageLostError(message.MessageId, error));
        return;
      }
      logger.warn({ event: WorkerLogEvent.heartbeatFailed, ...log, error: describeError(error) });
      return;
    }
    if (ended) return;
    visibleAgainAtMs = startedAtMs + plan.seconds * 1000;
    logger.info({ event: WorkerLogEvent.visibilityExtended, ...log, visibility_timeout_s: plan.seconds });
    // A final extension that failed is tried again by the next beat, with what is left by then.
    if (plan.final) capReached();
  }

  return {
    stop() {
      ended = true;
      clearInterval(timer);
    },
  };
}
