/**
 * The flake hunt: runs chosen jest files N times, optionally with one busy process per core beside them (a
 * loaded machine, where thread switches and timers come late), and prints how often each test passed.
 *
 *   npm run flake-hunt -- --runs 10 --stress __tests__/emulator/worker/worker.test.ts
 *   npm run flake-hunt -- --runs 10 --stress __tests__/emulator      # every emulator suite
 *
 * Each run is one `jest` over the files, as `npm test` runs them (its projects, workers and global setup);
 * its JSON report and its output are kept in --output-dir. Exits 0 only when every test passed every run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { numberFlag } from '../local/cli/number-flag';
import { formatTally, isFlaky, outcomesOf, tally, type JestJsonReport, type RunOutcome } from './flake-tally';

const ROOT = path.resolve(__dirname, '..');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

interface HuntOptions {
  readonly runs: number;
  readonly stress: boolean;
  readonly stressProcesses?: number;
  readonly outputDir: string;
}

/** One `node -e 'for (;;) {}'` per core (or as many as asked): they spin until stopped. */
function startStress(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

function stopAll(children: readonly ChildProcess[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Ends a jest run with everything it started: its workers and their emulators are in its process group (it was
 * started detached, as the group's leader). SIGTERM first, SIGKILL what is left after a grace period.
 */
async function stopJest(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const group = -child.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group, name);
    } catch {
      // the group is gone
    }
  };
  signal('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  signal('SIGKILL');
}

/** Runs jest once over `files`; resolves to its report's outcomes (a failure to produce one is a failure too). */
async function runJestOnce(files: readonly string[], run: number, outputDir: string, running: Set<ChildProcess>): Promise<RunOutcome[]> {
  const reportFile = path.join(outputDir, `run-${run}.json`);
  const logFile = path.join(outputDir, `run-${run}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [JEST, '--json', '--outputFile', reportFile, ...files], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
    // Its own process group, so that a stop reaches its workers and their emulators too (stopJest).
    detached: true,
  });
  running.add(child);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  running.delete(child);
  log.end();
  try {
    return outcomesOf(JSON.parse(readFileSync(reportFile, 'utf8')) as JestJsonReport, ROOT);
  } catch (error) {
    return [{ test: `(jest run ${run})`, outcome: 'failed', message: `no report (exit ${code}): ${(error as Error).message}; see ${logFile}` }];
  }
}

async function hunt(files: readonly string[], options: HuntOptions): Promise<number> {
  const say = (line: string) => process.stderr.write(`flake-hunt: ${line}\n`);
  mkdirSync(options.outputDir, { recursive: true });
  const stressCount = options.stress ? (options.stressProcesses ?? availableParallelism()) : 0;
  const running = new Set<ChildProcess>();
  const stress = startStress(stressCount);
  let stopping = false;
  const onSignal = () => {
    stopping = true;
    stopAll(stress);
    void Promise.all([...running].map(stopJest)).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  say(`${options.runs} run(s) of ${files.join(' ')}${stressCount > 0 ? `, with ${stressCount} busy process(es) beside them` : ''}; reports in ${path.relative(ROOT, options.outputDir)}`);

  const runs: RunOutcome[][] = [];
  try {
    for (let run = 1; run <= options.runs && !stopping; run++) {
      const started = Date.now();
      const outcomes = await runJestOnce(files, run, options.outputDir, running);
      if (stopping) break; // a run cut short by a signal counts for nothing
      runs.push(outcomes);
      const failed = outcomes.filter((outcome) => outcome.outcome === 'failed');
      say(
        `run ${run}/${options.runs}: ${outcomes.filter((outcome) => outcome.outcome === 'passed').length} passed, ${failed.length} failed ` +
          `(${Math.round((Date.now() - started) / 1000)} s)${failed.map((outcome) => `\n  failed: ${outcome.test}${outcome.message ? ` — ${outcome.message}` : ''}`).join('')}`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopAll(stress);
  }

  if (stopping) await new Promise<never>(() => undefined); // onSignal exits once the runs are stopped
  const rows = tally(runs);
  writeFileSync(path.join(options.outputDir, 'tally.json'), `${JSON.stringify({ files, ...options, stressProcesses: stressCount, rows }, null, 2)}\n`);
  process.stdout.write(`${formatTally(rows, options.runs)}\n`);
  return rows.some(isFlaky) ? 1 : 0;
}

function main(argv: readonly string[]): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const program = new Command()
    .name('flake-hunt')
    .description('Runs jest files many times, optionally under CPU stress, and prints how often each test passed.')
    .argument('<files...>', 'jest test files or folders, as jest takes them')
    .option('--runs <n>', 'how many times to run them', numberFlag('--runs', { integer: true, min: 1 }), 10)
    .option('--stress', 'keep one busy process per core running beside the tests', false)
    .option('--stress-processes <n>', 'with --stress: this many busy processes instead', numberFlag('--stress-processes', { integer: true, min: 1 }))
    .option('--output-dir <dir>', 'where each run\'s jest report and output go', path.join(ROOT, 'bench-results', `flake-hunt-${stamp}`))
    .action(async (files: string[], options: HuntOptions) => {
      process.exitCode = await hunt(files, { ...options, outputDir: path.resolve(options.outputDir) });
    });
  program.parseAsync([...argv]).catch((error: unknown) => {
    process.stderr.write(`flake-hunt: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}

if (require.main === module) main(process.argv);
