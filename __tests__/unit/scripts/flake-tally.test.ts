import { FILE_ITSELF, formatTally, outcomesOf, tally, type JestJsonReport } from '../../../scripts/flake-tally';

const ROOT = '/repo';

function report(files: JestJsonReport['testResults']): JestJsonReport {
  return { testResults: files };
}

describe('outcomesOf', () => {
  it("names each test by its file and full name, and each failed file that no failing test explains", () => {
    const outcomes = outcomesOf(
      report([
        {
          name: '/repo/__tests__/a.test.ts',
          status: 'failed',
          assertionResults: [
            { fullName: 'a works', status: 'passed' },
            { fullName: 'a breaks', status: 'failed' },
            { fullName: 'a later', status: 'pending' },
          ],
        },
        { name: '/repo/__tests__/b.test.ts', status: 'failed', message: 'Cannot find module x\n  at y', assertionResults: [] },
      ]),
      ROOT,
    );

    expect(outcomes).toEqual([
      { test: '__tests__/a.test.ts › a works', outcome: 'passed' },
      { test: '__tests__/a.test.ts › a breaks', outcome: 'failed' },
      { test: '__tests__/a.test.ts › a later', outcome: 'skipped' },
      { test: `__tests__/b.test.ts › ${FILE_ITSELF}`, outcome: 'failed', message: 'Cannot find module x' },
    ]);
  });
});

describe('tally', () => {
  const passed = (test: string) => ({ test, outcome: 'passed' as const });
  const failed = (test: string) => ({ test, outcome: 'failed' as const });

  it('counts each test over the runs, a test missing from a run included, those that did not always pass first', () => {
    const rows = tally([
      [passed('b'), passed('a'), passed('c')],
      [passed('b'), failed('a'), passed('c')],
      [passed('b'), passed('a')],
    ]);

    expect(rows).toEqual([
      { test: 'a', passed: 2, failed: 1, skipped: 0, missing: 0 },
      { test: 'c', passed: 2, failed: 0, skipped: 0, missing: 1 },
      { test: 'b', passed: 3, failed: 0, skipped: 0, missing: 0 },
    ]);
    expect(formatTally(rows, 3).split('\n')).toEqual([
      'FLAKY   2/3  a  (1 failed)',
      'FLAKY   2/3  c  (1 not run)',
      'ok      3/3  b',
      '3 tests, 3 runs: 2 did not pass every run',
    ]);
  });

  it('says so when every test passed every run', () => {
    expect(formatTally(tally([[passed('a')], [passed('a')]]), 2).split('\n').at(-1)).toBe('1 tests, 2 runs: every test passed every run');
  });
});
