/**
 * Pure rules of the visibility heartbeat: when to beat, how far to extend, and which failures mean the
 * message is no longer this worker's.
 */

/** The heartbeat fires at this fraction of the visibility timeout, so one failed beat still leaves a spare. */
export const HEARTBEAT_FRACTION = 1 / 3;
const MIN_HEARTBEAT_MS = 1_000;

/**
 * SQS keeps a received message invisible for at most 12 hours; an extension past that is refused
 * (ChangeMessageVisibility: "If you try to extend the visibility timeout beyond the maximum, your request is
 * rejected", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
 */
export const MAX_VISIBILITY_MS = 12 * 60 * 60 * 1000;
/** Kept clear of the cap: the worker's clock and SQS's differ by the request's travel time at least. */
const CAP_MARGIN_MS = 60_000;

export function heartbeatIntervalMs(visibilityTimeoutSeconds: number): number {
  return Math.max(MIN_HEARTBEAT_MS, Math.floor(visibilityTimeoutSeconds * 1000 * HEARTBEAT_FRACTION));
}

export type Extension =
  /** Extend by `seconds`; `final` when that reaches the cap and no later beat can extend further. */
  | { readonly kind: 'extend'; readonly seconds: number; readonly final: boolean }
  /** The cap is reached: the message becomes visible again when the current timeout ends, whatever the worker does. */
  | { readonly kind: 'capped' };

/**
 * How far a beat at `nowMs` extends a message received at `receivedAtMs` (the time the ReceiveMessage request
 * was sent: never later than SQS's own receive time, so the cap computed from it is never too late).
 */
export function planExtension(receivedAtMs: number, nowMs: number, visibilityTimeoutSeconds: number): Extension {
  const leftSeconds = Math.floor((receivedAtMs + MAX_VISIBILITY_MS - CAP_MARGIN_MS - nowMs) / 1000);
  if (leftSeconds <= 0) return { kind: 'capped' };
  if (leftSeconds <= visibilityTimeoutSeconds) return { kind: 'extend', seconds: leftSeconds, final: true };
  return { kind: 'extend', seconds: visibilityTimeoutSeconds, final: false };
}

/**
 * True when a ChangeMessageVisibility failure means the receipt handle no longer holds the message, so another
 * receive (another worker's, or this one's later) owns it now and the job working on it should stop:
 *  - `ReceiptHandleIsInvalid` and `MessageNotInflight` (the API reference's errors of the action);
 *  - `InvalidParameterValue` "Value … for parameter ReceiptHandle is invalid. Reason: The receipt handle has
 *    expired." or "… Reason: Message does not exist or is not available for visibility timeout change." — what
 *    SQS answers for a handle that was valid once (aws/aws-sdk-java#1628, mapbox/ecs-watchbot#135,
 *    localstack/localstack#6103).
 * Anything else (throttling, 5xx, the network) is transient: the next beat tries again.
 */
export function isReceiptLost(error: unknown): boolean {
  const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown };
  if (name === 'ReceiptHandleIsInvalid' || name === 'MessageNotInflight') return true;
  return name === 'InvalidParameterValue' && typeof message === 'string' && /parameter ReceiptHandle is invalid/i.test(message);
}
