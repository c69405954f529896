import { ItemAttribute, ItemStatus } from '../contracts';
import { planCopy, type CopyPlan } from '../runtime/copy-plan';

/** What to do with a row read from the table. */
export type Decision =
  /** The row is gone: nothing to copy and nowhere to record an outcome. */
  | { readonly action: 'drop'; readonly reason: string }
  /** The row is not PENDING (a duplicate message, or another worker got there first). */
  | { readonly action: 'skip'; readonly reason: string; readonly status: unknown }
  /** The row can never succeed as it stands: record FAILED with the reason. */
  | { readonly action: 'fail'; readonly reason: string }
  | { readonly action: 'copy'; readonly plan: CopyPlan };

/** Decides from the row alone, DynamoDB being the source of truth for status and s3_path. */
export function decide(row: Readonly<Record<string, unknown>> | undefined, bucketName: string): Decision {
  if (row === undefined) return { action: 'drop', reason: 'row not found' };
  const status = row[ItemAttribute.status];
  if (status === ItemStatus.FINISHED) return { action: 'skip', reason: `already ${ItemStatus.FINISHED}`, status };
  if (status !== ItemStatus.PENDING) {
    return { action: 'skip', reason: `status is ${JSON.stringify(status) ?? 'missing'}, not ${ItemStatus.PENDING}`, status };
  }
  const s3Path = row[ItemAttribute.s3Path];
  if (s3Path === undefined) return { action: 'fail', reason: `${ItemAttribute.s3Path} is missing` };
  if (typeof s3Path !== 'string')
    return { action: 'fail', reason: `${ItemAttribute.s3Path} must be a string, got ${typeof s3Path}` };
  const check = planCopy(s3Path, bucketName);
  return check.ok ? { action: 'copy', plan: check.plan } : { action: 'fail', reason: check.reason };
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
