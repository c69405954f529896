/**
 * Defaults and ranges of the values that travel from the deploy-time settings (config/) through the stack and
 * the orchestrator to the worker. Each is defined once here, so the setting, the queue construct, the
 * orchestrator's pass-through and the worker can never disagree about what "unset" means or what is accepted.
 */
export interface Bounds {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The work queue's visibility timeout, in seconds.
 * - default 300: five minutes outlasts a typical server-side copy, so the heartbeat rarely has to extend it;
 * - min 60: the worker extends visibility every third of the timeout for every message in flight: below a
 *   minute those ChangeMessageVisibility calls would come seconds apart;
 * - max 43,200: SQS's own maximum (12 hours).
 * The orchestrator passes the queue's value to the worker, which receives with it (ReceiveMessage's
 * VisibilityTimeout), so a worker left on its own default behaves like the queue.
 */
export const VISIBILITY_TIMEOUT_SECONDS = { default: 300, min: 60, max: 43_200 } as const satisfies Bounds;

/**
 * The one lower floor the worker accepts below {@link VISIBILITY_TIMEOUT_SECONDS}.min: its heartbeat beats a third
 * of the timeout apart, at least 1 s, so 2 s is the least that still leaves two beats per timeout. The stack
 * never passes less than the minute; the emulator suites run the worker on 2–3 s to watch redelivery in seconds.
 */
export const WORKER_MIN_VISIBILITY_TIMEOUT_SECONDS = 2;

/**
 * Idle minutes (decimals allowed) before a worker stops and its instance powers off (EC2_AUTOTERMINATE_MINUTES).
 * The original design's five minutes; at most a day, beyond which an idle worker is a forgotten bill. Any
 * positive value is accepted below that: the local run uses a quarter of a minute.
 */
export const AUTOTERMINATE_MINUTES = { default: 5, max: 1440 } as const;

/**
 * Seconds a stopping worker (SIGTERM) lets its running jobs finish before it releases and aborts them
 * (WORKER_SHUTDOWN_GRACE_SECONDS). The unit's TimeoutStopSec is sized for the default, so it is also the most;
 * the user data never sets it, and tests shorten it to see the release without the wait.
 */
export const SHUTDOWN_GRACE_SECONDS = { default: 20, min: 1, max: 20 } as const satisfies Bounds;

/** Most workers running at once; 1 reproduces the original design. */
export const MAX_WORKERS = { default: 1, min: 1, max: 100 } as const satisfies Bounds;

/** Visible messages one worker is expected to take: the orchestrator sizes scale-out with it. */
export const MESSAGES_PER_WORKER = { default: 10, min: 1, max: 10_000 } as const satisfies Bounds;

/**
 * Parallel copies inside one worker. Ten is one full receive batch at once: copies are server-side, so the
 * instance only waits on S3, and ten keeps a t3.micro's sockets and memory far from their limits.
 */
export const WORKER_CONCURRENCY = { default: 10, min: 1, max: 100 } as const satisfies Bounds;

/**
 * Receives before a message moves to the dead-letter queue (the queue's maxReceiveCount); SQS accepts 1 to
 * 1,000. The worker records FAILED on the last one instead of leaving the message for the DLQ.
 */
export const MAX_RECEIVE_COUNT = { default: 5, min: 1, max: 1000 } as const satisfies Bounds;
