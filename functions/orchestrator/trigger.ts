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
