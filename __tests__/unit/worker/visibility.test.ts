import { heartbeatIntervalMs, isReceiptLost, MAX_VISIBILITY_MS, planExtension } from '../../../worker/visibility';

const HOUR_MS = 3600 * 1000;
const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('heartbeatIntervalMs', () => {
  it.each([
    { case: 'the default 30 s timeout', seconds: 30, expected: 10_000 },
    { case: 'the stack default of 300 s', seconds: 300, expected: 100_000 },
    { case: 'the 2 s minimum (never more often than once a second)', seconds: 2, expected: 1_000 },
  ])('beats at a third of $case', ({ seconds, expected }) => {
    expect(heartbeatIntervalMs(seconds)).toBe(expected);
  });
});

describe('planExtension', () => {
  it.each([
    { case: 'early on', elapsedMs: 10_000, expected: { kind: 'extend', seconds: 300, final: false } },
    {
      case: 'when less than one timeout is left before the 12-hour cap (less a minute of margin)',
      elapsedMs: MAX_VISIBILITY_MS - 200_000,
      expected: { kind: 'extend', seconds: 140, final: true },
    },
    { case: 'within the last minute', elapsedMs: MAX_VISIBILITY_MS - 30_000, expected: { kind: 'capped' } },
    { case: 'past the cap', elapsedMs: 13 * HOUR_MS, expected: { kind: 'capped' } },
  ])('$case', ({ elapsedMs, expected }) => {
    expect(planExtension(1_000_000, 1_000_000 + elapsedMs, 300)).toEqual(expected);
  });
});

describe('isReceiptLost', () => {
  it.each([
    { case: 'ReceiptHandleIsInvalid', error: named('ReceiptHandleIsInvalid'), expected: true },
    { case: 'MessageNotInflight', error: named('MessageNotInflight'), expected: true },
    {
      case: 'an expired handle',
      error: named('InvalidParameterValue', 'Value AQEB for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.'),
      expected: true,
    },
    {
      case: 'a message received again by someone else',
      error: named(
        'InvalidParameterValue',
        'Value AQEB for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.',
      ),
      expected: true,
    },
    { case: 'another invalid parameter', error: named('InvalidParameterValue', 'Value 50000 for parameter VisibilityTimeout is invalid.'), expected: false },
    { case: 'throttling', error: named('RequestThrottled'), expected: false },
    { case: 'a network error', error: named('TimeoutError'), expected: false },
    { case: 'not an error', error: 'boom', expected: false },
  ])('$case → $expected', ({ error, expected }) => {
    expect(isReceiptLost(error)).toBe(expected);
  });
});
