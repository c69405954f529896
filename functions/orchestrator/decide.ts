/** What one tick sees. */
export interface Observation {
  /** ApproximateNumberOfMessages: waiting, receivable now. */
  readonly visibleMessages: number;
  /** ApproximateNumberOfMessagesNotVisible: received by a worker and not yet deleted. */
  readonly inFlightMessages: number;
  /** Workers pending or running. */
  readonly workers: number;
  /**
   * Rows a wake batch says became PENDING (its message count), read after the wake run's recheck; 0 for a
   * scheduled or direct run.
   * @default 0
   */
  readonly wakeMessages?: number;
}

export interface ScalingSettings {
  /** Most workers at once; 1 reproduces the original design. */
  readonly maxWorkers: number;
  /** Visible messages one worker is expected to take. */
  readonly messagesPerWorker: number;
}

/**
 * Why a tick launches what it launches:
 * - `queue-empty`: nothing visible, nothing in flight.
 * - `woken-ahead-of-counts`: nothing visible or in flight, no worker, but a wake batch says rows became PENDING.
 *   SQS's counts "may not achieve consistency until at least 1 minute after the producers stop sending
 *   messages" (GetQueueAttributes, SQS API reference), so the batch stands for the work: launch for it.
 * - `in-flight-only`: nothing visible; the in-flight messages are a worker's, which is still there.
 * - `in-flight-awaiting-redelivery`: nothing visible and no worker, yet messages are in flight: their worker
 *   died. They become visible again when their visibility timeout ends, and that tick launches a worker.
 * - `enough-workers`: a backlog, and the workers there already meet the target.
 * - `at-capacity`: a backlog that wants more workers, but MAX_WORKERS are already there.
 * - `scale-out`: a backlog and fewer workers than the target: launch the difference.
 */
export type DecisionReason =
  | 'queue-empty'
  | 'woken-ahead-of-counts'
  | 'in-flight-only'
  | 'in-flight-awaiting-redelivery'
  | 'enough-workers'
  | 'at-capacity'
  | 'scale-out';

export interface Decision {
  /** Workers to launch now (0 or more). */
  readonly launch: number;
  /** Workers the backlog (or an unconfirmed wake batch) calls for, capped at maxWorkers; 0 when nothing is visible. */
  readonly targetWorkers: number;
  readonly reason: DecisionReason;
}

/**
 * How many workers to launch. Only visible messages call for workers: in-flight ones are already held by
 * a worker, or return to visibility on their own. With maxWorkers = 1 this is the original design: launch
 * one worker when messages wait and none is pending or running.
 */
export function decide(observation: Observation, settings: ScalingSettings): Decision {
  const { visibleMessages, inFlightMessages, workers, wakeMessages = 0 } = observation;
  if (visibleMessages === 0) {
    if (inFlightMessages === 0) {
      // Wrong only when a worker already finished the rows and left: then one more worker idles until its
      // idle timeout. The slot tokens keep overlapping runs within maxWorkers.
      if (workers === 0 && wakeMessages > 0) {
        const { launch, targetWorkers } = scaleFor(wakeMessages, workers, settings);
        return { launch, targetWorkers, reason: 'woken-ahead-of-counts' };
      }
      return { launch: 0, targetWorkers: 0, reason: 'queue-empty' };
    }
    // A fresh worker now would only idle until the visibility timeout returns the messages.
    return {
      launch: 0,
      targetWorkers: 0,
      reason: workers > 0 ? 'in-flight-only' : 'in-flight-awaiting-redelivery',
    };
  }
  const { launch, targetWorkers, wanted } = scaleFor(visibleMessages, workers, settings);
  if (launch > 0) return { launch, targetWorkers, reason: 'scale-out' };
  return { launch: 0, targetWorkers, reason: wanted > workers ? 'at-capacity' : 'enough-workers' };
}

/** Workers `messages` call for, capped at maxWorkers, and how many of them to launch beside `workers`. */
function scaleFor(messages: number, workers: number, settings: ScalingSettings) {
  const wanted = Math.ceil(messages / settings.messagesPerWorker);
  const targetWorkers = Math.min(wanted, settings.maxWorkers);
  return { launch: Math.max(0, targetWorkers - workers), targetWorkers, wanted };
}
