import { bootFailureMarkerKey } from '../../../contracts';
import {
  bootFailuresStartAfter,
  decideBootBackoff,
  DEFAULT_BOOT_BACKOFF,
  parseBootFailureKey,
  type BootBackoffDecision,
} from '../../../functions/orchestrator/boot-backoff';

const MINUTE = 60_000;
const NOW = Date.parse('2026-11-25T16:00:00Z');
const minutesAgo = (...minutes: number[]) => minutes.map((m) => ({ failedAtMs: NOW - m * MINUTE, instanceId: `i-${m}` }));

describe('decideBootBackoff (1 minute doubling, 30-minute cap, 3-hour lookback)', () => {
  it.each<{ case: string; failures: ReturnType<typeof minutesAgo>; expected: BootBackoffDecision }>([
    { case: 'no failure launches', failures: [], expected: { action: 'launch', recentFailures: 0 } },
    {
      case: 'one failure 30 s ago waits 1 minute after it',
      failures: [{ failedAtMs: NOW - 30_000, instanceId: 'i-a' }],
      expected: { action: 'back-off', recentFailures: 1, latestFailureAtMs: NOW - 30_000, backoffMs: MINUTE, retryAtMs: NOW + 30_000 },
    },
    { case: 'one failure exactly 1 minute ago launches', failures: minutesAgo(1), expected: { action: 'launch', recentFailures: 1 } },
    {
      case: 'three failures wait 4 minutes after the latest',
      failures: minutesAgo(50, 20, 3),
      expected: { action: 'back-off', recentFailures: 3, latestFailureAtMs: NOW - 3 * MINUTE, backoffMs: 4 * MINUTE, retryAtMs: NOW + MINUTE },
    },
    { case: 'three failures, the latest 4 minutes ago, launch', failures: minutesAgo(50, 20, 4), expected: { action: 'launch', recentFailures: 3 } },
    {
      case: 'six failures reach the 30-minute cap (not 32)',
      failures: minutesAgo(170, 140, 100, 60, 30, 10),
      expected: { action: 'back-off', recentFailures: 6, latestFailureAtMs: NOW - 10 * MINUTE, backoffMs: 30 * MINUTE, retryAtMs: NOW + 20 * MINUTE },
    },
    {
      case: 'a thousand failures stay at the cap',
      failures: Array.from({ length: 1000 }, (_, i) => ({ failedAtMs: NOW - i * 10_000, instanceId: `i-${i}` })),
      expected: { action: 'back-off', recentFailures: 1000, latestFailureAtMs: NOW, backoffMs: 30 * MINUTE, retryAtMs: NOW + 30 * MINUTE },
    },
    { case: 'failures older than the lookback do not count', failures: minutesAgo(200, 181), expected: { action: 'launch', recentFailures: 0 } },
    {
      case: 'a marker dated in the future counts as now',
      failures: [{ failedAtMs: NOW + 5 * MINUTE, instanceId: 'i-skewed' }],
      expected: { action: 'back-off', recentFailures: 1, latestFailureAtMs: NOW, backoffMs: MINUTE, retryAtMs: NOW + MINUTE },
    },
  ])('$case', ({ failures, expected }) => {
    expect(decideBootBackoff(failures, NOW, DEFAULT_BOOT_BACKOFF)).toEqual(expected);
  });

  it('keeps the wait at the cap for a boot that fails at every capped retry', () => {
    // Steady state: one failing launch every 30 minutes, for six hours.
    const failures = Array.from({ length: 12 }, (_, i) => ({ failedAtMs: NOW - i * 30 * MINUTE, instanceId: `i-${i}` }));

    expect(decideBootBackoff(failures, NOW, DEFAULT_BOOT_BACKOFF)).toMatchObject({ action: 'back-off', backoffMs: 30 * MINUTE });
  });
});

describe('parseBootFailureKey', () => {
  it.each([
    { key: 'logs/boot-failures/2026-11-25T15:59:30Z-i-0123456789abcdef0.json', expected: { failedAtMs: Date.parse('2026-11-25T15:59:30Z'), instanceId: 'i-0123456789abcdef0' } },
    { key: 'logs/boot-failures/2026-11-25T15:59:30.250Z-i-0abc.json', expected: { failedAtMs: Date.parse('2026-11-25T15:59:30.250Z'), instanceId: 'i-0abc' } },
    { key: 'logs/boot-failures/2026-11-25T15:59:30-i-0abc.json', expected: undefined },
    { key: 'logs/boot-failures/yesterday-i-0abc.json', expected: undefined },
    { key: 'logs/boot-failures/2026-11-25T15:59:30Z.json', expected: undefined },
    { key: 'logs/i-0abc/2026-11-25T15:59:30Z-bootstrap-failure.log', expected: undefined },
    { key: 'logs/boot-failures/2026-11-25T15-59-30-250Z-i-0abc.json', expected: { failedAtMs: Date.parse('2026-11-25T15:59:30.250Z'), instanceId: 'i-0abc' } },
  ])('$key', ({ key, expected }) => {
    expect(parseBootFailureKey(key)).toEqual(expected);
  });

  // The bootstrap writes its marker with bootFailureMarkerKey (`-` for `:` and `.`, so curl need not escape the
  // key). The reader used to accept only ISO times with `:`, so no marker a boot wrote ever held launches back.
  it('reads the key a failed boot writes', () => {
    const failedAt = new Date('2026-11-25T15:59:30.250Z');

    expect(parseBootFailureKey(bootFailureMarkerKey('i-0123456789abcdef0', failedAt))).toEqual({
      failedAtMs: failedAt.getTime(),
      instanceId: 'i-0123456789abcdef0',
    });
  });
});

describe('bootFailuresStartAfter', () => {
  it('sorts before every marker at or after the time, with or without milliseconds', () => {
    const startAfter = bootFailuresStartAfter(Date.parse('2026-11-25T13:00:00Z'));
    const keys = [
      'logs/boot-failures/2026-11-25T12:59:59Z-i-old.json',
      'logs/boot-failures/2026-11-25T13:00:00Z-i-same-second.json',
      'logs/boot-failures/2026-11-25T13:00:00.000Z-i-same-ms.json',
      'logs/boot-failures/2026-11-25T15:00:00Z-i-new.json',
    ];

    expect(startAfter).toBe('logs/boot-failures/2026-11-25T13-00-00-000Z');
    expect(keys.filter((key) => key > startAfter)).toEqual(keys.slice(1));
  });

  it('sorts before the keys the bootstrap writes within the same hour, and after older ones', () => {
    const since = Date.parse('2026-11-25T13:00:00Z');
    const written = [since - 1, since, since + 30 * 60_000].map((ms) => bootFailureMarkerKey('i-0abc', new Date(ms)));

    expect(written.filter((key) => key > bootFailuresStartAfter(since))).toEqual(written.slice(1));
  });
});
