/**
 * What invoked a run, from the event alone (pure). The orchestrator decides from the queue and the instances,
 * never from the event, so every trigger runs the same tick; the trigger only names the run in its log:
 * - `schedule`: the EventBridge schedule rule (`Scheduled Event`), the safety net;
 * - `wake`: the wake queue's event source mapping, a batch of item events for rows that became PENDING;
 * - `direct`: anything else, e.g. a test invocation from the console.
 */
export type Trigger =
  | { readonly trigger: 'schedule' }
  | { readonly trigger: 'wake'; readonly wakeMessages: number }
  | { readonly trigger: 'direct' };

/** The SQS batch a Lambda event source mapping invokes the function with. */
export interface QueueBatchEvent {
  readonly Records: ReadonlyArray<{ readonly eventSource?: string; readonly messageId?: string }>;
}

/** An EventBridge scheduled event; its `id` names the run in the logs. */
export interface ScheduledEvent {
  readonly id?: string;
  readonly time?: string;
  readonly source?: string;
  readonly 'detail-type'?: string;
}

export type OrchestratorEvent = ScheduledEvent | QueueBatchEvent;

export function describeTrigger(event: unknown): Trigger {
  if (typeof event !== 'object' || event === null) return { trigger: 'direct' };
  const records = (event as Partial<QueueBatchEvent>).Records;
  if (Array.isArray(records) && records.length > 0 && records.every((record) => record?.eventSource === 'aws:sqs')) {
    return { trigger: 'wake', wakeMessages: records.length };
  }
  const scheduled = event as ScheduledEvent;
  if (scheduled.source === 'aws.events' && scheduled['detail-type'] === 'Scheduled Event') return { trigger: 'schedule' };
  return { trigger: 'direct' };
}

/**
 * How long a wake run waits before it looks at an empty work queue again. The events pipe and the work
 * queue's pipe read the stream independently, and SQS's counts are approximate: a wake run can read the
 * queue before its rows' messages show there. One second is the mapping's batching window again.
 */
export const WAKE_RECHECK_MS = 1_000;

/**
 * Pure: whether a run should read the queue once more before deciding. Only a wake run, and only when the
 * queue showed nothing at all: its batch says rows became PENDING, so their messages are on their way (or a
 * warm worker already finished them, and the second look costs a second). If the counts still lag after it,
 * `decide` launches for the batch when no worker is there (`woken-ahead-of-counts`).
 */
export function shouldRecheckQueue(trigger: Trigger, depth: { readonly visible: number; readonly inFlight: number }): boolean {
  return trigger.trigger === 'wake' && depth.visible === 0 && depth.inFlight === 0;
}
