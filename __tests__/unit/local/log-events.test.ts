import {
  lambdaLogGroupName,
  lambdaLogStreamName,
  LineBuffer,
  lineToEvents,
  PUT_LOG_EVENTS_LIMITS,
  toLogBatches,
  type LogEvent,
} from '../../../local/standins/log-events';

const ENVIRONMENT_ID = '0123456789abcdef0123456789abcdef';

describe('lambdaLogStreamName', () => {
  it("is Lambda's YYYY/MM/DD/[$LATEST]<id>, with the UTC date", () => {
    expect(lambdaLogStreamName(new Date('2026-11-27T23:59:59.999-02:00'), ENVIRONMENT_ID)).toBe(`2026/11/28/[$LATEST]${ENVIRONMENT_ID}`);
  });

  it('refuses an id that is not 32 hex digits, naming it', () => {
    expect(() => lambdaLogStreamName(new Date(), 'abc')).toThrow('environmentId must be 32 lowercase hex digits, got "abc"');
  });
});

describe('lambdaLogGroupName', () => {
  it.each([
    { case: 'no logging configuration', configured: undefined, expected: '/aws/lambda/orch' },
    { case: 'an empty one', configured: '', expected: '/aws/lambda/orch' },
    { case: 'a custom group', configured: 'shared-functions', expected: 'shared-functions' },
  ])('$case → $expected', ({ configured, expected }) => {
    expect(lambdaLogGroupName('orch', configured)).toBe(expected);
  });
});

describe('LineBuffer', () => {
  it('returns complete lines only, joining chunks cut anywhere, and ends with the unterminated rest', () => {
    const lines = new LineBuffer();

    const first = lines.push('{"a":1}\n{"b"');
    const second = lines.push(':2}\r\n\nlast');
    const rest = lines.end();

    expect(first).toEqual(['{"a":1}']);
    expect(second).toEqual(['{"b":2}', '']);
    expect(rest).toEqual(['last']);
    expect(lines.end()).toEqual([]);
  });
});

describe('lineToEvents', () => {
  it('makes one event of an ordinary line and none of an empty one', () => {
    expect(lineToEvents('hello', 5)).toEqual([{ timestamp: 5, message: 'hello' }]);
    expect(lineToEvents('', 5)).toEqual([]);
  });

  it('cuts a line over the event limit on character boundaries, losing nothing', () => {
    const line = 'aé€😀'.repeat(3); // 1 + 2 + 3 + 4 bytes per repetition

    const events = lineToEvents(line, 7, 8);

    expect(events.map((event) => event.message).join('')).toBe(line);
    for (const event of events) expect(Buffer.byteLength(event.message)).toBeLessThanOrEqual(8);
    expect(events.every((event) => event.timestamp === 7)).toBe(true);
  });

  it('uses the 256 KB event limit by default', () => {
    expect(lineToEvents('x'.repeat(PUT_LOG_EVENTS_LIMITS.maxEventBytes + 1), 1).map((event) => event.message.length)).toEqual([
      PUT_LOG_EVENTS_LIMITS.maxEventBytes,
      1,
    ]);
  });
});

describe('toLogBatches', () => {
  const events = (count: number, message = 'x', step = 0): LogEvent[] =>
    Array.from({ length: count }, (_, index) => ({ timestamp: 1_000 + index * step, message: `${message}${index}` }));
  const flat = (batches: LogEvent[][]) => batches.flat();

  it.each([
    { case: 'nothing', input: [] as LogEvent[], sizes: [] },
    { case: 'one small batch', input: events(3), sizes: [3] },
    { case: '10,000 events in one batch', input: events(10_000), sizes: [10_000] },
    { case: '10,001 events in two', input: events(10_001), sizes: [10_000, 1] },
    { case: '25,000 events in three', input: events(25_000), sizes: [10_000, 10_000, 5_000] },
  ])('$case', ({ input, sizes }) => {
    const batches = toLogBatches(input);

    expect(batches.map((batch) => batch.length)).toEqual(sizes);
    expect(flat(batches)).toEqual(input);
  });

  it('keeps each batch within 1,048,576 bytes, counting 26 bytes per event', () => {
    // 100,000-byte messages: 10 of them are 1,000,260 bytes, an 11th would be 1,100,286.
    const big = Array.from({ length: 25 }, (_, index) => ({ timestamp: index, message: String(index % 10).repeat(100_000) }));

    const batches = toLogBatches(big);

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    for (const batch of batches) {
      const bytes = batch.reduce((sum, event) => sum + Buffer.byteLength(event.message) + 26, 0);
      expect(bytes).toBeLessThanOrEqual(1_048_576);
    }
    expect(flat(batches)).toEqual(big);
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 1,000 four-byte characters per message: 4,026 bytes each, so 260 fit (1,046,760) and 261 do not.
    const emoji = Array.from({ length: 300 }, (_, index) => ({ timestamp: index, message: '😀'.repeat(1_000) }));

    expect(toLogBatches(emoji).map((batch) => batch.length)).toEqual([260, 40]);
  });

  it('starts a new batch when the events would span more than 24 hours', () => {
    const day = 24 * 60 * 60 * 1000;
    const input = [
      { timestamp: 0, message: 'a' },
      { timestamp: day, message: 'b' },
      { timestamp: day + 1, message: 'c' },
    ];

    expect(toLogBatches(input)).toEqual([[input[0], input[1]], [input[2]]]);
  });

  it('refuses an event that could never fit a batch', () => {
    expect(() => toLogBatches([{ timestamp: 0, message: 'x'.repeat(1_048_576) }])).toThrow('exceeds the batch limit of 1048576');
  });
});
