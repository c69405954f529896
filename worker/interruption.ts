import { CapacityType, INTERRUPTION_MARGIN_MS } from '../contracts';

/**
 * Pure decisions about Spot interruptions (docs/capacity.md, "Interruptions"). EC2 posts two notices in the
 * instance metadata (AWS, "Spot Instance interruption notices"):
 * - `spot/instance-action`, `{"action": "terminate" | "stop" | "hibernate", "time": "<UTC>"}`: "a warning that is
 *   issued two minutes before Amazon EC2 stops or terminates your Spot Instance"; 404 until then.
 * - `events/recommendations/rebalance`, `{"noticeTime": "<UTC>"}`: the instance is at elevated risk; it "can arrive
 *   sooner than the two-minute Spot Instance interruption notice".
 * AWS: "We recommend that you check for these interruption notices every 5 seconds."
 */
export const INTERRUPTION_POLL_MS = 5_000;


export interface InterruptionNotice {
  readonly action: string;
  /** When EC2 stops or terminates the instance. */
  readonly deadlineMs: number;
}

/** The notice at `spot/instance-action`; undefined when the text is not one (the worker then keeps polling). */
export function parseInstanceAction(text: string): InterruptionNotice | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { action, time } = parsed as { action?: unknown; time?: unknown };
  const deadlineMs = typeof time === 'string' ? Date.parse(time) : NaN;
  if (typeof action !== 'string' || !Number.isFinite(deadlineMs)) return undefined;
  return { action, deadlineMs };
}

/**
 * When the jobs still running are stopped: {@link INTERRUPTION_MARGIN_MS} before the deadline, so a job finishes
 * only when it can finish well before it; at once when the notice came late.
 */
export function jobsCutoffMs(notice: InterruptionNotice, nowMs: number): number {
  return Math.max(nowMs, notice.deadlineMs - INTERRUPTION_MARGIN_MS);
}

/**
 * What to do with the message of a job an interruption stopped, by how many interruptions its row's work already
 * had (the message attribute):
 * - `resend`: send it again as a new message, with the count plus one, and delete this one: the new message starts
 *   with no receives, so the interruption spends none of maxReceiveCount, and it is visible at once;
 * - `release`: beyond the bound, make it visible again like a crashed worker's (visibility 0): this receive counts,
 *   so a row interrupted without end still ends FAILED or in the dead-letter queue.
 */
export function requeueDecision(interruptions: number, retries: number): { readonly action: 'resend'; readonly interruptions: number } | { readonly action: 'release' } {
  return interruptions < retries ? { action: 'resend', interruptions: interruptions + 1 } : { action: 'release' };
}

/** IMDS `instance-life-cycle` (`spot`, `on-demand`, `scheduled`) as the purchase option a row records. */
export function capacityTypeOf(lifecycle: string | undefined): CapacityType | undefined {
  if (lifecycle === CapacityType.spot) return CapacityType.spot;
  if (lifecycle === CapacityType.onDemand || lifecycle === 'scheduled') return CapacityType.onDemand;
  return undefined;
}
