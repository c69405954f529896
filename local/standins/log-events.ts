/**
 * Pure pieces of the local run's log delivery to CloudWatch Logs: naming a stream as Lambda does,
 * cutting output into lines, and grouping events into PutLogEvents batches within the service's limits.
 */

export interface LogEvent {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
}

/**
 * PutLogEvents limits (CloudWatch Logs API reference, PutLogEvents): at most 10,000 events and
 * 1,048,576 bytes per batch, counted as each message's UTF-8 bytes plus 26; events in chronological
 * order, spanning at most 24 hours; an event of at most 256 KB (the long-standing limit; newer pages say 1 MB).
 */
export const PUT_LOG_EVENTS_LIMITS = {
  maxEvents: 10_000,
  maxBytes: 1_048_576,
  overheadBytesPerEvent: 26,
  maxSpanMs: 24 * 60 * 60 * 1000,
  maxEventBytes: 256 * 1024,
} as const;

/**
 * Lambda's stream name for one execution environment: `YYYY/MM/DD/[$LATEST]<32 hex>`, the UTC date
 * the environment started.
 */
export function lambdaLogStreamName(startedAt: Date, environmentId: string, version = '$LATEST'): string {
  if (!/^[0-9a-f]{32}$/.test(environmentId)) throw new Error(`environmentId must be 32 lowercase hex digits, got "${environmentId}"`);
  const date = startedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${date}/[${version}]${environmentId}`;
}

/** Lambda's default log group for a function, used when its LoggingConfig names none. */
export function lambdaLogGroupName(functionName: string, configured?: string): string {
  return configured || `/aws/lambda/${functionName}`;
}

/** Collects output chunks and hands back complete lines; `end()` returns an unterminated last line. */
export class LineBuffer {
  private pending = '';

  push(chunk: string): string[] {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    return lines.map(stripCarriageReturn);
  }

  end(): string[] {
    const rest = stripCarriageReturn(this.pending);
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}

const stripCarriageReturn = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * One line as log events: none for an empty line (PutLogEvents refuses an empty message), several for a
 * line over the event limit, cut on character boundaries so nothing is lost.
 */
export function lineToEvents(line: string, timestamp: number, maxEventBytes: number = PUT_LOG_EVENTS_LIMITS.maxEventBytes): LogEvent[] {
  if (line === '') return [];
  if (utf8Bytes(line) <= maxEventBytes) return [{ timestamp, message: line }];
  const events: LogEvent[] = [];
  let part = '';
  let partBytes = 0;
  for (const character of line) {
    const bytes = utf8Bytes(character);
    if (partBytes + bytes > maxEventBytes) {
      events.push({ timestamp, message: part });
      part = '';
      partBytes = 0;
    }
    part += character;
    partBytes += bytes;
  }
  if (part !== '') events.push({ timestamp, message: part });
  return events;
}

/**
 * Splits events, already in chronological order, into the fewest consecutive batches that each
 * satisfy PutLogEvents' count, size and time-span limits. Order is kept within and across batches.
 */
export function toLogBatches(events: readonly LogEvent[], limits = PUT_LOG_EVENTS_LIMITS): LogEvent[][] {
  const batches: LogEvent[][] = [];
  let batch: LogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = utf8Bytes(event.message) + limits.overheadBytesPerEvent;
    if (size > limits.maxBytes) throw new Error(`a log event of ${size} bytes exceeds the batch limit of ${limits.maxBytes}: cut it with lineToEvents first`);
    const full =
      batch.length === limits.maxEvents || bytes + size > limits.maxBytes || (batch.length > 0 && event.timestamp - batch[0].timestamp > limits.maxSpanMs);
    if (full) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
