/**
 * The markers workers write into the pipeline bucket for the orchestrator to read by key alone:
 * `<prefix><UTC time>-<instance-id>.json`, the time as in the worker's log keys or in ISO form. Boot failures
 * (logs/boot-failures/) hold launches back; interruptions (logs/interruptions/) turn launches on-demand.
 */
export interface Marker {
  readonly atMs: number;
  readonly instanceId: string;
}

const MARKER = /^(.+)-(i-[0-9A-Za-z]+)\.json$/;

/** Reads a marker key; undefined for a key that is not one (outside the prefix, its time or instance ID unreadable). */
export function parseMarkerKey(prefix: string, key: string): Marker | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = MARKER.exec(key.slice(prefix.length));
  if (!match) return undefined;
  const [, time, instanceId] = match;
  const atMs = parseMarkerTime(time);
  return atMs === undefined ? undefined : { atMs, instanceId };
}

/**
 * The ListObjectsV2 StartAfter that skips every marker older than `sinceMs`: keys sort by their time, written in the
 * form the workers write (`-` for `:` and `.`), so a marker of the same hour as `sinceMs` is not skipped. Readers
 * still compare each marker's time with `sinceMs`.
 */
export function markersStartAfter(prefix: string, sinceMs: number): string {
  return `${prefix}${markerTime(new Date(sinceMs))}`;
}

/** `2026-11-27T12-34-56-789Z`: the time in a marker's key (no `:`, which SigV4 signing by curl would have to escape). */
export function markerTime(time: Date): string {
  return time.toISOString().replace(/[:.]/g, '-');
}

/**
 * UTC only, ISO 8601 (`2026-11-27T12:34:56.789Z`) or the key form with `-` for `:` and `.`
 * (`2026-11-27T12-34-56-789Z`): Date.parse would read a bare date-time as local time.
 */
function parseMarkerTime(time: string): number | undefined {
  const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2})[:-](\d{2})[:-](\d{2})(?:[.-](\d+))?Z$/.exec(time);
  if (!iso) return undefined;
  const [, date, hours, minutes, seconds, fraction] = iso;
  const atMs = Date.parse(`${date}T${hours}:${minutes}:${seconds}${fraction === undefined ? '' : `.${fraction}`}Z`);
  return Number.isFinite(atMs) ? atMs : undefined;
}
