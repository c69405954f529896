/**
 * Pure: what one jest run said about each test (its `--json` report), and the pass/fail count per test over
 * many runs. scripts/flake-hunt.ts runs jest and prints what this counts.
 */
import * as path from 'node:path';

export type TestOutcome = 'passed' | 'failed' | 'skipped';

/** The parts of jest's `--json` report read here. */
export interface JestJsonReport {
  readonly testResults: readonly {
    readonly name: string;
    readonly status: string;
    readonly message?: string;
    readonly assertionResults: readonly { readonly fullName: string; readonly status: string }[];
  }[];
}

/** One test's outcome in one run; `test` is `<file relative to the root> › <full name>`. */
export interface RunOutcome {
  readonly test: string;
  readonly outcome: TestOutcome;
  /** For a file that failed without a failing test (it did not load, a hook failed): jest's message, first line. */
  readonly message?: string;
}

/** The name given to a whole file's failure that no test of it carries. */
export const FILE_ITSELF = '(the file itself)';

/** Every test of a report, and each file that failed without a failing test. */
export function outcomesOf(report: JestJsonReport, root: string): RunOutcome[] {
  const outcomes: RunOutcome[] = [];
  for (const file of report.testResults) {
    const relative = path.relative(root, file.name);
    const tests = file.assertionResults.map((test) => ({ test: `${relative} › ${test.fullName}`, outcome: outcomeOf(test.status) }));
    outcomes.push(...tests);
    if (file.status === 'failed' && !tests.some((test) => test.outcome === 'failed')) {
      const message = (file.message ?? '').trim().split('\n')[0] ?? '';
      outcomes.push({ test: `${relative} › ${FILE_ITSELF}`, outcome: 'failed', message });
    }
  }
  return outcomes;
}

function outcomeOf(status: string): TestOutcome {
  if (status === 'passed') return 'passed';
  if (status === 'failed') return 'failed';
  return 'skipped';
}

export interface TestTally {
  readonly test: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Runs in which jest did not report the test at all (its file could not run, or it was added meanwhile). */
  readonly missing: number;
}

/** The count per test over the runs, failures first, then by name. */
export function tally(runs: readonly (readonly RunOutcome[])[]): TestTally[] {
  const tests = new Map<string, { passed: number; failed: number; skipped: number; seen: number }>();
  for (const run of runs) {
    for (const { test, outcome } of run) {
      const counts = tests.get(test) ?? { passed: 0, failed: 0, skipped: 0, seen: 0 };
      counts[outcome] += 1;
      counts.seen += 1;
      tests.set(test, counts);
    }
  }
  return [...tests]
    .map(([test, { passed, failed, skipped, seen }]) => ({ test, passed, failed, skipped, missing: runs.length - seen }))
    .sort((a, b) => Number(b.failed + b.missing > 0) - Number(a.failed + a.missing > 0) || a.test.localeCompare(b.test));
}

/** A test that did not pass in every run. */
export function isFlaky(row: TestTally): boolean {
  return row.failed > 0 || row.missing > 0;
}

/** The table the command prints: one line per test, `passed/runs`, and a total. */
export function formatTally(rows: readonly TestTally[], runs: number): string {
  const lines = rows.map((row) => {
    const notes = [row.failed > 0 ? `${row.failed} failed` : '', row.skipped > 0 ? `${row.skipped} skipped` : '', row.missing > 0 ? `${row.missing} not run` : '']
      .filter(Boolean)
      .join(', ');
    return `${isFlaky(row) ? 'FLAKY' : 'ok   '} ${String(row.passed).padStart(3)}/${runs}  ${row.test}${notes ? `  (${notes})` : ''}`;
  });
  const flaky = rows.filter(isFlaky).length;
  lines.push(`${rows.length} tests, ${runs} runs: ${flaky === 0 ? 'every test passed every run' : `${flaky} did not pass every run`}`);
  return lines.join('\n');
}
