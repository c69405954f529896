import { setMaxListeners } from 'node:events';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describeError } from './describe-error';
import { MessageLostError, startHeartbeat } from './heartbeat';
import type { Disposition } from './job';
import type { WorkerLogger } from './logger';
import { SHUTDOWN_GRACE_SECONDS, WorkerLogEvent } from '../contracts';

/** SQS's longest long poll and largest receive. */
const MAX_WAIT_SECONDS = 20;
/** SQS's longest message delay (DelaySeconds). */
const MAX_DELAY_SECONDS = 900;
const MAX_BATCH = 10;
/** Receive errors (no credentials yet, no network) back off from 1 s, doubling, to at most 30 s. */
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** On SIGTERM, in-flight jobs get this long to finish before their messages are released. */
export const DEFAULT_SHUTDOWN_GRACE_MS = SHUTDOWN_GRACE_SECONDS.default * 1000;

/**
 * Why the loop stopped:
 * - `idle`: nothing received for the idle timeout;
 * - `signal`: SIGTERM/SIGINT: in-flight jobs got the grace period, the rest were released;
 * - `rebalance`: EC2 recommended a rebalance: no more receives, every in-flight job finished;
 * - `interrupted`: a Spot interruption notice: no more receives, jobs that could not finish before the cutoff
 *   were stopped and their messages sent again (docs/capacity.md).
 */
export type StopReason = 'idle' | 'signal' | 'rebalance' | 'interrupted';

/** The job's abort reason when a Spot interruption stopped it: its message goes back without spending a receive. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(readonly deadline: string) {
    super(`the instance is interrupted at ${deadline}: the job was stopped before it could finish`);
  }
}

export interface ConsumerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Messages handled at once; never more are received than there are free slots. */
  readonly concurrency: number;
  /**
   * Asked for on every receive (so the timing never rests on the queue's default matching it), and the
   * heartbeat's interval (a third of it) and extension.
   */
  readonly visibilityTimeoutSeconds: number;
  /** Stop after this long with no message received and nothing in flight. */
  readonly idleTimeoutMs: number;
  /** @default DEFAULT_SHUTDOWN_GRACE_MS */
  readonly shutdownGraceMs?: number;
  /**
   * Handles one message; a throw means "transient, leave it for redelivery". The signal is the job's own:
   * aborted on a stop after the grace period, when the heartbeat finds the message taken by another receive, or at
   * an interruption's cutoff (its reason an {@link InterruptedError}).
   */
  readonly handle: (message: Message, abortSignal: AbortSignal) => Promise<Disposition>;
  /**
   * Returns the message of a job an interruption stopped (worker/requeue.ts: sent again, or released beyond the
   * bound), hidden for `delaySeconds`: until this worker's own receive in flight has ended, so that receive cannot
   * take it back. Never throws. @default release it like any stopped job's (visibility 0)
   */
  readonly requeue?: (message: Message, delaySeconds: number) => Promise<void>;
  /** Message attributes to ask for on every receive (the interruption count). @default none */
  readonly messageAttributeNames?: readonly string[];
  readonly logger: WorkerLogger;
}

/**
 * The poll loop: long-polls while it has free slots, runs each message's handler with a visibility
 * heartbeat, deletes (in batches) only what the handler says is recorded, and stops when idle or asked to.
 */
export class Consumer {
  private readonly receiving = new AbortController();
  private readonly jobs = new AbortController();
  private readonly inFlight = new Map<string, { message: Message; done: Promise<void> }>();
  private readonly deleter: DeleteBatcher;
  private stopRequested = false;
  private stopReason: Exclude<StopReason, 'idle'> | undefined;
  private cutoff: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  /** When the receive in flight, if any, ends at the latest (its long poll). */
  private pollEndsAtMs: number | undefined;
  private wake: (() => void) | undefined;
  /** Wakes a drain that waits for its jobs when the reason to stop changes (an interruption, then a signal). */
  private escalation = signalled();

  constructor(private readonly options: ConsumerOptions) {
    this.deleter = new DeleteBatcher(options.sqs, options.queueUrl, options.logger);
    // Each running job links its own controller to the shared one with one listener; Node warns past 10.
    setMaxListeners(Math.max(10, options.concurrency + 1), this.jobs.signal);
  }

  /** Asks the loop to stop (SIGTERM): no more receives; in-flight jobs finish within the grace period or are released. */
  stop(): void {
    this.stopAs('signal');
  }

  /** A rebalance recommendation: no more receives; every in-flight job finishes, then the loop stops. */
  finishAndStop(): void {
    this.stopAs('rebalance');
  }

  /**
   * A Spot interruption notice: no more receives; jobs still running at `cutoffMs` are stopped (their signal's
   * reason an {@link InterruptedError}) and their messages given to `requeue`.
   */
  interrupt(cutoffMs: number, deadline: string): void {
    if (!this.stopAs('interrupted')) return;
    this.cutoff = setTimeout(() => this.jobs.abort(new InterruptedError(deadline)), Math.max(0, cutoffMs - Date.now()));
  }

  /**
   * Records a stronger reason to stop (rebalance < interrupted < signal); false when one as strong is already there.
   * Only a signal aborts the receive in flight: an aborted long poll may still take messages on SQS's side, which
   * then come back only after their visibility timeout, with a receive spent. A rebalance or an interruption lets it
   * end (20 s at most) and runs what it brings like any job: an interruption then gives those back at its cutoff.
   */
  private stopAs(reason: Exclude<StopReason, 'idle'>): boolean {
    const strength = { rebalance: 1, interrupted: 2, signal: 3 } as const;
    if (this.stopReason !== undefined && strength[this.stopReason] >= strength[reason]) return false;
    this.stopReason = reason;
    this.stopRequested = true;
    if (reason === 'signal') this.receiving.abort();
    this.notify();
    const escalation = this.escalation;
    this.escalation = signalled();
    escalation.resolve();
    return true;
  }

  /** Runs until idle or stopped; resolves once every in-flight message is deleted or released. */
  async run(): Promise<StopReason> {
    const { logger, idleTimeoutMs, concurrency } = this.options;
    this.lastActivity = Date.now();
    let failures = 0;
    logger.info({ event: WorkerLogEvent.workerPolling, concurrency, idle_timeout_ms: idleTimeoutMs });
    while (!this.stopRequested) {
      if (this.inFlight.size >= concurrency) {
        await this.nextWake();
        continue;
      }
      const idleForMs = Date.now() - this.lastActivity;
      if (this.inFlight.size === 0 && idleForMs >= idleTimeoutMs) {
        logger.info({ event: WorkerLogEvent.workerIdle, idle_ms: idleForMs });
        return 'idle';
      }
      // Poll no longer than the idle time left, so the worker stops on time. While jobs run, the idle period
      // restarts when the last one ends, so the whole period is the longest useful wait.
      const idleLeftMs = this.inFlight.size > 0 ? idleTimeoutMs : idleTimeoutMs - idleForMs;
      const waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.ceil(idleLeftMs / 1000));
      let messages: Message[];
      // Taken before the request: never later than SQS's receive, so the 12-hour cap counted from it is safe.
      const receivedAtMs = Date.now();
      this.pollEndsAtMs = receivedAtMs + waitSeconds * 1000;
      try {
        const received = await this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: Math.min(MAX_BATCH, concurrency - this.inFlight.size),
            WaitTimeSeconds: waitSeconds,
            VisibilityTimeout: this.options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            ...(this.options.messageAttributeNames?.length ? { MessageAttributeNames: [...this.options.messageAttributeNames] } : {}),
          }),
          { abortSignal: this.receiving.signal },
        );
        messages = received.Messages ?? [];
        failures = 0;
        this.pollEndsAtMs = undefined;
      } catch (error) {
        this.pollEndsAtMs = undefined;
        if (this.stopRequested) break;
        failures += 1;
        const retryInMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1));
        logger.error({ event: WorkerLogEvent.receiveFailed, error: describeError(error), attempt: failures, retry_in_ms: retryInMs });
        await sleep(retryInMs, this.receiving.signal);
        continue;
      }
      if (messages.length > 0) this.lastActivity = Date.now();
      for (const message of messages) this.start(message, receivedAtMs);
    }
    await this.drain();
    return this.stopReason ?? 'signal';
  }

  private start(message: Message, receivedAtMs: number): void {
    const receiptHandle = message.ReceiptHandle;
    if (receiptHandle === undefined) return;
    const { sqs, queueUrl, visibilityTimeoutSeconds, logger } = this.options;
    // The job's own controller: a stop aborts every job, a lost message only its own.
    const job = new AbortController();
    const abortJob = (): void => job.abort(this.jobs.signal.reason);
    // A message a poll brought after the interruption's cutoff is stopped at once, and given back.
    if (this.jobs.signal.aborted) abortJob();
    this.jobs.signal.addEventListener('abort', abortJob, { once: true });
    const heartbeat = startHeartbeat({ sqs, queueUrl, message, receivedAtMs, visibilityTimeoutSeconds, job, logger });
    const done = (async () => {
      try {
        const disposition = await this.options.handle(message, job.signal);
        if (disposition === 'delete') await this.deleter.delete(message);
      } catch (error) {
        if (job.signal.reason instanceof InterruptedError && this.options.requeue) {
          // No beat may touch the message while it is sent again and deleted.
          heartbeat.stop();
          const pollLeftMs = this.pollEndsAtMs === undefined ? 0 : this.pollEndsAtMs - Date.now();
          await this.options.requeue(message, Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(pollLeftMs / 1000))));
        } else if (!(job.signal.reason instanceof MessageLostError)) {
          // A lost message was logged by the heartbeat (message_lost); its new holder carries on.
          logger.warn({ event: WorkerLogEvent.messageRetry, message_id: message.MessageId, error: describeError(error) });
        }
      } finally {
        heartbeat.stop();
        this.jobs.signal.removeEventListener('abort', abortJob);
        this.inFlight.delete(receiptHandle);
        this.lastActivity = Date.now();
        this.notify();
      }
    })();
    this.inFlight.set(receiptHandle, { message, done });
  }

  /**
   * After a stop. A rebalance or an interruption waits for the jobs (an interruption's cutoff stops those still
   * running); a signal, also one that comes meanwhile, waits up to the grace period, then releases the rest.
   */
  private async drain(): Promise<void> {
    const { logger } = this.options;
    logger.info({ event: WorkerLogEvent.workerStopping, in_flight: this.inFlight.size, reason: this.stopReason });
    while (this.stopReason !== 'signal' && this.inFlight.size > 0) {
      await Promise.race([Promise.all([...this.inFlight.values()].map(({ done }) => done)), this.escalation.promise]);
    }
    if (this.stopReason === 'signal') await this.drainWithGrace();
    clearTimeout(this.cutoff);
    await this.deleter.idle();
  }

  /** Waits for in-flight jobs up to the grace period, then releases the rest and aborts them. */
  private async drainWithGrace(): Promise<void> {
    const { logger, shutdownGraceMs = DEFAULT_SHUTDOWN_GRACE_MS } = this.options;
    if (this.inFlight.size > 0) logger.info({ event: WorkerLogEvent.workerStopping, in_flight: this.inFlight.size, grace_ms: shutdownGraceMs });
    const grace = new AbortController();
    await Promise.race([Promise.all([...this.inFlight.values()].map(({ done }) => done)), sleep(shutdownGraceMs, grace.signal)]);
    grace.abort();
    const unfinished = [...this.inFlight.values()];
    if (unfinished.length > 0) {
      await this.release(unfinished.map(({ message }) => message));
      this.jobs.abort();
      await Promise.all(unfinished.map(({ done }) => done));
    }
  }

  /** Makes messages visible again at once (visibility 0) so another worker takes them without waiting. */
  private async release(messages: readonly Message[]): Promise<void> {
    const { sqs, queueUrl, logger } = this.options;
    for (let start = 0; start < messages.length; start += MAX_BATCH) {
      const batch = messages.slice(start, start + MAX_BATCH);
      try {
        const result = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
        const failed = new Set((result.Failed ?? []).map((entry) => entry.Id));
        batch.forEach((message, index) =>
          logger.info({
            event: failed.has(String(index)) ? WorkerLogEvent.releaseFailed : WorkerLogEvent.messageReleased,
            message_id: message.MessageId,
          }),
        );
      } catch (error) {
        for (const message of batch)
          logger.warn({ event: WorkerLogEvent.releaseFailed, message_id: message.MessageId, error: describeError(error) });
      }
    }
  }

  private nextWake(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * Groups deletes that complete together into DeleteMessageBatch calls of up to ten. A delete that fails is
 * logged, not retried: the outcome is already in the table, so the redelivered message is skipped.
 * Deletes carry no abort signal: once an outcome is recorded, its delete should still go out during a stop.
 */
class DeleteBatcher {
  private pending: Array<{ message: Message; resolve: () => void }> = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string, private readonly logger: WorkerLogger) {}

  delete(message: Message): Promise<void> {
    return new Promise((resolve) => {
      this.pending.push({ message, resolve });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves once nothing is waiting to be deleted. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    // Let deletes requested in the same tick join this batch.
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      await this.send(batch.map(({ message }) => message));
      batch.forEach(({ resolve }) => resolve());
    }
    this.flushing = undefined;
  }

  private async send(messages: readonly Message[]): Promise<void> {
    try {
      const result = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      for (const failure of result.Failed ?? []) {
        const message = messages[Number(failure.Id)];
        this.logger.warn({ event: WorkerLogEvent.deleteFailed, message_id: message?.MessageId, error: failure.Code ?? failure.Message });
      }
    } catch (error) {
      for (const message of messages)
        this.logger.warn({ event: WorkerLogEvent.deleteFailed, message_id: message.MessageId, error: describeError(error) });
    }
  }
}

/** A promise and the function that resolves it. */
function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function sleep(ms: number, abortSignal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abortSignal.aborted) return resolve();
    const finish = (): void => {
      clearTimeout(timer);
      abortSignal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    abortSignal.addEventListener('abort', finish, { once: true });
  });
}
