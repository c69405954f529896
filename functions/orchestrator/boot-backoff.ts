import { BOOT_FAILURES_PREFIX } from '../../contracts';
import { markersStartAfter, parseMarkerKey } from './markers';

/** How launches back off after workers fail to boot. */
export interface BootBackoffSettings {
  /** The wait after a single recent failure; it doubles with each further one. */
  readonly baseMs: number;
  /** The longest wait after the latest failure. */
  readonly capMs: number;
  /**
   * How far back failures count. Long enough that a boot failing at every capped retry keeps the wait at the
   * cap: with a 30-minute cap and a 1-minute base, six failures within it are needed (2^5 minutes ≥ 30).
   */
  readonly lookbackMs: number;
}

const MINUTE_MS = 60_000;

/** 1 minute doubling per recent failure, up to 30 minutes, counting the failures of the last 3 hours. */
export const DEFAULT_BOOT_BACKOFF: BootBackoffSettings = {
  baseMs: MINUTE_MS,
  capMs: 30 * MINUTE_MS,
  lookbackMs: 180 * MINUTE_MS,
};

/** One marker the bootstrap wrote: `logs/boot-failures/<UTC ISO time>-<instance-id>.json`. */
export interface BootFailure {
  readonly failedAtMs: number;
  readonly instanceId: string;
}

/**
 * - `launch`: no recent failure, or the wait after the latest one is over.
 * - `back-off`: wait until `retryAtMs` before launching again.
 */
export type BootBackoffDecision =
  | { readonly action: 'launch'; readonly recentFailures: number }
  | {
      readonly action: 'back-off';
      readonly recentFailures: number;
      readonly latestFailureAtMs: number;
      readonly backoffMs: number;
      readonly retryAtMs: number;
    };

/**
 * Whether to launch now, from the boot failures seen: wait min(cap, base × 2^(n−1)) after the latest of
 * the n failures within the lookback. A marker dated in the future (the instance's clock ran ahead) counts
 * as now.
 */
export function decideBootBackoff(failures: readonly BootFailure[], nowMs: number, settings: BootBackoffSettings): BootBackoffDecision {
  const times = failures.map((failure) => Math.min(failure.failedAtMs, nowMs)).filter((time) => time >= nowMs - settings.lookbackMs);
  if (times.length === 0) return { action: 'launch', recentFailures: 0 };
  const latestFailureAtMs = times.reduce((latest, time) => Math.max(latest, time));
  // 2^(n-1) overflows to Infinity for large n, which the cap absorbs.
  const backoffMs = Math.min(settings.capMs, settings.baseMs * 2 ** (times.length - 1));
  const retryAtMs = latestFailureAtMs + backoffMs;
  if (nowMs >= retryAtMs) return { action: 'launch', recentFailures: times.length };
  return { action: 'back-off', recentFailures: times.length, latestFailureAtMs, backoffMs, retryAtMs };
}

/**
 * Reads a marker key; undefined for a key that is not a marker (its time or instance ID unreadable). The bootstrap
 * writes the time with `-` for `:` and `.` (bootFailureMarkerKey in contracts/boot-failure.ts); ISO times are read too.
 */
export function parseBootFailureKey(key: string): BootFailure | undefined {
  const marker = parseMarkerKey(BOOT_FAILURES_PREFIX, key);
  return marker && { failedAtMs: marker.atMs, instanceId: marker.instanceId };
}

/** The ListObjectsV2 StartAfter that skips every marker older than `sinceMs`: keys sort by their time. */
export function bootFailuresStartAfter(sinceMs: number): string {
  return markersStartAfter(BOOT_FAILURES_PREFIX, sinceMs);
}
