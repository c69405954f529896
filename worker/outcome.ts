import { ItemAttribute, ItemStatus, templateSafeText } from '../contracts';
import { planItemPaths, type ItemPaths } from '../runtime/item-paths';

/** What to do with a row read from the table. */
export type Decision =
  /** The row is gone: nothing to process and nowhere to record an outcome. */
  | { readonly action: 'drop'; readonly reason: string }
  /** The row is not PENDING (a duplicate message, or another worker got there first). */
  | { readonly action: 'skip'; readonly reason: string; readonly status: unknown }
  /**
   * The row can never succeed as it stands: record FAILED with the reason. `unknownProcessor` when the row names
   * a processor this worker does not know, which a newer catalog may.
   */
  | { readonly action: 'fail'; readonly reason: string; readonly processedBy: string; readonly unknownProcessor?: true }
  | { readonly action: 'process'; readonly paths: ItemPaths; readonly processor: string };

/** The processors a worker can run: what {@link decide} checks a row's choice against. */
export interface KnownProcessors {
  readonly defaultProcessor: string;
  names(): readonly string[];
}

/** A processor name quoted in a reason or recorded as processed_by is cut to this length. */
const PROCESSOR_QUOTE_LIMIT = 64;

/** Decides from the row alone, DynamoDB being the source of truth for status, s3_path and processor. */
export function decide(row: Readonly<Record<string, unknown>> | undefined, bucketName: string, processors: KnownProcessors): Decision {
  if (row === undefined) return { action: 'drop', reason: 'row not found' };
  const status = row[ItemAttribute.status];
  if (status === ItemStatus.FINISHED) return { action: 'skip', reason: `already ${ItemStatus.FINISHED}`, status };
  if (status !== ItemStatus.PENDING) {
    return { action: 'skip', reason: `status is ${JSON.stringify(status) ?? 'missing'}, not ${ItemStatus.PENDING}`, status };
  }
  const choice = chooseProcessor(row[ItemAttribute.processor], processors);
  if (!choice.ok) return { action: 'fail', reason: choice.reason, processedBy: choice.processedBy, ...(choice.unknown ? { unknownProcessor: true } : {}) };
  const processedBy = choice.name;
  const s3Path = row[ItemAttribute.s3Path];
  if (s3Path === undefined) return { action: 'fail', reason: `${ItemAttribute.s3Path} is missing`, processedBy };
  if (typeof s3Path !== 'string') {
    return { action: 'fail', reason: `${ItemAttribute.s3Path} must be a string, got ${typeof s3Path}`, processedBy };
  }
  const check = planItemPaths(s3Path, bucketName);
  return check.ok ? { action: 'process', paths: check.paths, processor: processedBy } : { action: 'fail', reason: check.reason, processedBy };
}

type ProcessorChoice =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly reason: string; readonly processedBy: string; readonly unknown: boolean };

/** The row's own processor, or the default when it names none; a reason when it names one that is not known. */
function chooseProcessor(value: unknown, processors: KnownProcessors): ProcessorChoice {
  if (value === undefined) return { ok: true, name: processors.defaultProcessor };
  const known = processors.names();
  if (typeof value !== 'string') {
    return {
      ok: false,
      reason: `${ItemAttribute.processor} must be the name of a processor (${known.join(', ')}), got a ${typeof value}`,
      processedBy: `(a ${typeof value})`,
      unknown: false,
    };
  }
  if (known.includes(value)) return { ok: true, name: value };
  const quoted = templateSafeText(value.length > PROCESSOR_QUOTE_LIMIT ? `${value.slice(0, PROCESSOR_QUOTE_LIMIT)}…` : value);
  return {
    ok: false,
    reason: `${ItemAttribute.processor} ‘${quoted}’ is not configured; the configured processors are ${known.join(', ')}`,
    processedBy: quoted,
    unknown: true,
  };
}

/** Reasons quoting an error are cut to this length so a row stays small. */
const GIVING_UP_REASON_LIMIT = 500;

/**
 * True on the receive that reaches the queue's maxReceiveCount: SQS moves the message to the dead-letter queue
 * on the next receive, so this is the last chance to record an outcome on the row.
 */
export function isLastReceive(receiveCount: number, maxReceiveCount: number | undefined): boolean {
  return maxReceiveCount !== undefined && Number.isFinite(receiveCount) && receiveCount >= maxReceiveCount;
}

/** The FAILED reason written on the last receive: how many receives, and the last error. */
export function givingUpReason(receiveCount: number, lastError: string): string {
  const reason = `gave up after ${receiveCount} receives, last error: ${lastError}`;
  return reason.length > GIVING_UP_REASON_LIMIT ? `${reason.slice(0, GIVING_UP_REASON_LIMIT)}…` : reason;
}
