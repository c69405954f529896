/**
 * `npm run soak`: the chaos soak on the local pipeline (moto, the stack applied with terraform, the
 * stand-ins, the real orchestrator and worker). Entry point only: parses flags, starts the pipeline, runs
 * the soak, prints progress on stderr and one JSON line on stdout, stops everything.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { numberFlag } from '../cli/number-flag';
import { createLocalLog } from '../log';
import { ensurePrerequisites } from '../emulator/preflight';
import { LOCAL_DEFAULTS, startLocalPipeline, type LocalPipeline } from '../pipeline';
import pipelineConfig from '../../pipeline.config';
import { commandMode, commandModeCatalog, planCommandMode, writeCommandModeMarkers } from './command-mode';
import { COPY_MODE, type SoakMode } from './mode';
import { planSoak } from './plan';
import { runSoak } from './run';
import { exitCode } from './verdict';

interface CliOptions {
  rows: number;
  badPercent: number;
  killWorkers: number;
  interruptWorkers: number;
  seed: string;
  maxWorkers: number;
  timeoutSeconds: number;
  tickSeconds: number;
  autoterminateMinutes: number;
  port?: number;
  reportFile?: string;
  verbose: boolean;
  mode: SoakMode['name'];
}

function parseCli(argv: readonly string[]): CliOptions {
  return new Command('soak')
    .description(
      'Chaos soak on the local pipeline: bad inputs, resubmissions, duplicates, killed workers, Spot interruptions and a failed orchestrator tick; ' +
        'then checks that every row is explained. Progress on stderr; the last stdout line is the JSON summary.',
    )
    .option('--rows <n>', 'rows to submit', numberFlag('--rows', { integer: true, min: 1 }), 1000)
    .option('--bad-percent <p>', 'share of rows written with a bad input', numberFlag('--bad-percent', { min: 0, max: 100 }), 5)
    .option('--kill-workers <k>', 'workers to kill (SIGKILL and SIGTERM) at random moments', numberFlag('--kill-workers', { integer: true, min: 0 }), 3)
    .option(
      '--interrupt-workers <k>',
      'Spot workers to interrupt as EC2 does (the deployment buys Spot, then on-demand, when it is above 0)',
      numberFlag('--interrupt-workers', { integer: true, min: 0 }),
      2,
    )
    .addOption(new Option('--seed <s>', 'seed of every random choice').default(String(randomInt(1, 2 ** 31)), 'a random one, printed in the summary'))
    .option('--max-workers <n>', 'PIPELINE_MAX_WORKERS of the deployment', numberFlag('--max-workers', { integer: true, min: 1 }), 2)
    .option('--timeout-seconds <n>', 'give up waiting for the rows after this long', numberFlag('--timeout-seconds', { min: 1 }), 1800)
    .option('--tick-seconds <n>', 'seconds between orchestrator invocations', numberFlag('--tick-seconds', { min: 0.1 }), LOCAL_DEFAULTS.tickSeconds)
    .option(
      '--autoterminate-minutes <n>',
      'PIPELINE_AUTOTERMINATE_MINUTES: idle minutes before a worker stops',
      numberFlag('--autoterminate-minutes', { min: 0.01 }),
      LOCAL_DEFAULTS.autoterminateMinutes,
    )
    .option('--port <n>', 'emulator port (another is picked when it is in use)', numberFlag('--port', { integer: true, min: 1, max: 65535 }))
    .option('--report-file <path>', 'also write the full report (every row, every kill) as JSON')
    .option('--verbose', 'JSON event lines of the pipe, schedule and instance runner on stderr', false)
    .addOption(
      new Option('--mode <mode>', 'copy: rows copied (the default processor); command: every row through a command processor, some failing on purpose')
        .choices(['copy', 'command'])
        .default('copy'),
    )
    .parse([...argv], { from: 'user' })
    .opts<CliOptions>();
}

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2));
  const missing = ensurePrerequisites();
  if (missing) {
    console.error(missing);
    return 1;
  }
  const say = (line: string) => console.error(`soak: ${line}`);
  const stop = new AbortController();
  let signalExitCode = 0;
  const onSignal = (code: number) => () => {
    signalExitCode = code;
    stop.abort();
  };
  process.once('SIGINT', onSignal(130));
  process.once('SIGTERM', onSignal(143));

  // The command mode's plan is the soak's own (pure, from the seed): its markers are written before any row.
  const stateDir = mkdtempSync(path.join(tmpdir(), 'soak-command-'));
  let mode: SoakMode = COPY_MODE;
  if (options.mode === 'command') {
    const commandPlan = planCommandMode(planSoak({ rows: options.rows, badPercent: options.badPercent, killWorkers: options.killWorkers, seed: options.seed }));
    writeCommandModeMarkers(stateDir, commandPlan);
    mode = commandMode(commandPlan);
    say(`command mode: ${commandPlan.failing.size} row(s) whose command fails, ${commandPlan.flaky.size} whose command fails once`);
  }

  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocalPipeline({
      port: options.port,
      tickSeconds: options.tickSeconds,
      settings: {
        autoterminateMinutes: options.autoterminateMinutes,
        maxWorkers: options.maxWorkers,
        // Interruptions need Spot workers; the fallback keeps the run going where the emulator has no Spot.
        ...(options.interruptWorkers > 0 ? { purchaseOption: 'spot-then-on-demand' as const } : {}),
      },
      log: createLocalLog(process.stderr, options.verbose ? 'info' : 'warn'),
      progress: say,
      signal: stop.signal,
      ...(options.mode === 'command' ? { processors: commandModeCatalog(pipelineConfig, process.env, stateDir) } : {}),
    });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    if (stop.signal.aborted) return signalExitCode;
    console.error(`soak: the local pipeline did not start: ${(error as Error).message}`);
    return 1;
  }

  try {
    const report = await runSoak(pipeline, {
      rows: options.rows,
      badPercent: options.badPercent,
      killWorkers: options.killWorkers,
      interruptWorkers: options.interruptWorkers,
      seed: options.seed,
      timeoutSeconds: options.timeoutSeconds,
      autoterminateMinutes: options.autoterminateMinutes,
      progress: say,
      signal: stop.signal,
      mode,
    });
    if (stop.signal.aborted) return signalExitCode;
    const worthSaying = report.rows.filter((verdict) => !['finished', 'failed'].includes(verdict.class) || verdict.unexpected);
    for (const row of worthSaying) {
      say(`row ${row.id}: ${row.class}${row.status ? `, ${row.status}` : ''}${row.detail ? ` — ${row.detail}` : ''}`);
      for (const line of report.trails[row.id]?.stream ?? []) say(`  stream: ${line}`);
      for (const line of report.trails[row.id]?.worker ?? []) say(`  worker ${line}`);
    }
    if (options.reportFile) writeFileSync(options.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report.summary));
    return exitCode(report.summary);
  } finally {
    say('stopping the workers, the function host and the emulator');
    await pipeline.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`soak failed: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    },
  );
}
