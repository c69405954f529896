/** What one tick sees. */
export interface Observation {
  /** ApproximateNumberOfMessages: waiting, receivable now. */
  readonly visibleMessages: number;
  /** ApproximateNumberOfMessagesNotVisible: received by a worker and not yet deleted. */
  readonly inFlightMessages: number;
  /** Workers pending or running. */
  readonly workers: number;
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
 * - `in-flight-only`: nothing visible; the in-flight messages are a worker's, which is still there.
 * - `in-flight-awaiting-redelivery`: nothing visible and no worker, yet messages are in flight: their worker
 *   died. They become visible again when their visibility timeout ends, and that tick launches a worker.
 * - `enough-workers`: a backlog, and the workers there already meet the target.
 * - `at-capacity`: a backlog that wants more workers, but MAX_WORKERS are already there.
 * - `scale-out`: a backlog and fewer workers than the target: launch the difference.
 */
export type DecisionReason =
  | 'queue-empty'
  | 'in-flight-only'
  | 'in-flight-awaiting-redelivery'
  | 'enough-workers'
  | 'at-capacity'
  | 'scale-out';

export interface Decision {
  /** Workers to launch now (0 or more). */
  readonly launch: number;
  /** Workers the backlog calls for, capped at maxWorkers (0 when nothing is visible). */
  readonly targetWorkers: number;
  readonly reason: DecisionReason;
}

/**
 * How many workers to launch. Only visible messages call for workers: in-flight ones are already held by
 * a worker, or return to visibility on their own. With maxWorkers = 1 this is the original design: launch
 * one worker when messages wait and none is pending or running.
 */
export function decide(observation: Observation, settings: ScalingSettings): Decision {
  const { visibleMessages, inFlightMessages, workers } = observation;
  if (visibleMessages === 0) {
    if (inFlightMessages === 0) return { launch: 0, targetWorkers: 0, reason: 'queue-empty' };
    // A fresh worker now would only idle until the visibility timeout returns the messages.
    return {
      launch: 0,
      targetWorkers: 0,
      reason: workers > 0 ? 'in-flight-only' : 'in-flight-awaiting-redelivery',
    };
  }
  const wanted = Math.ceil(visibleMessages / settings.messagesPerWorker);
  const targetWorkers = Math.min(wanted, settings.maxWorkers);
  const launch = Math.max(0, targetWorkers - workers);
  if (launch > 0) return { launch, targetWorkers, reason: 'scale-out' };
  return { launch: 0, targetWorkers, reason: wanted > workers ? 'at-capacity' : 'enough-workers' };
}
