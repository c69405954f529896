import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { startEmulator } from '../local/emulator/moto';
import { REPO_ROOT } from '../local/emulator/paths';
import { measureBundles } from './bundles';
import { formatChunking, measureChunking, type ChunkingFigures } from './chunking';
import { measureCommandProcessor } from './command';
import { formatCommand } from './command-report';
import { describeMachine } from './machine';
import { measurePickup, type PickupFigures } from './pickup';
import { checkTargets, chunkingTargets, formatPickup, formatReport, type BenchResults } from './report';
import { measureRequestCosts, type RequestCosts } from './request-costs';
import { MIB } from './stats';
import { cdktfAppNodeArgs, createIndexImportCopy, measureSynth, TSX_APP_NODE_ARGS } from './synth';
import { measureTestSuite } from './test-suite';
import { measureThroughput, type ThroughputFigures } from './throughput';

interface BenchOptions {
  readonly skipTests: boolean;
  readonly skipPickup: boolean;
  readonly pickupOnly: boolean;
  readonly chunkingOnly: boolean;
  readonly skipChunking: boolean;
  readonly pickupRows: number;
  readonly pickupTickSeconds: number;
  readonly output: string;
  readonly synthRuns: number;
  readonly smallObjects: number;
  readonly largeObjects: number;
  readonly commandOnly: boolean;
  readonly commandSmallFiles: number;
  readonly commandLargeFiles: number;
  readonly commandScalingFiles: number;
}

const RESULTS_DIR = path.join(REPO_ROOT, 'bench-results');
const COLD_IMPORT_RUNS = 7;
const SMALL_OBJECT_BYTES = 1024;
const LARGE_OBJECT_BYTES = 50 * MIB;

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
}

async function bench(options: BenchOptions): Promise<BenchResults> {
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const startedAt = new Date().toISOString();

  const appNodeArgs = cdktfAppNodeArgs(REPO_ROOT);
  log(`synth × ${options.synthRuns} (cdktf.json's app: node ${appNodeArgs.join(' ')})`);
  let synthOutdir: string | undefined;
  const deepImports = await measureSynth(REPO_ROOT, appNodeArgs, options.synthRuns, { keepOutdir: (outdir) => (synthOutdir = outdir) });
  log(`synth × ${options.synthRuns} (through tsx, the app before)`);
  const throughTsx = await measureSynth(REPO_ROOT, TSX_APP_NODE_ARGS, options.synthRuns);
  log(`synth × ${options.synthRuns} (package index reference)`);
  const reference = createIndexImportCopy(REPO_ROOT, RESULTS_DIR);
  let indexImport;
  try {
    indexImport = { ...(await measureSynth(reference.dir, appNodeArgs, options.synthRuns)), rewrittenImports: reference.rewritten };
  } finally {
    rmSync(reference.dir, { recursive: true, force: true });
  }

  log('orchestrator cold import and bundle sizes');
  let bundles;
  try {
    bundles = await measureBundles(REPO_ROOT, synthOutdir!, COLD_IMPORT_RUNS);
  } finally {
    if (synthOutdir) rmSync(synthOutdir, { recursive: true, force: true });
  }

  const throughput: ThroughputFigures[] = [];
  let requestCosts: RequestCosts;
  const emulator = await startEmulator();
  try {
    log('emulator request costs (one at a time)');
    requestCosts = await measureRequestCosts(emulator, options.smallObjects);
    for (const benchCase of [
      { name: 'small', objects: options.smallObjects, objectBytes: SMALL_OBJECT_BYTES },
      { name: 'large', objects: options.largeObjects, objectBytes: LARGE_OBJECT_BYTES },
    ]) {
      log(`throughput: ${benchCase.objects} ${benchCase.name} objects (limit, worker, baseline)`);
      throughput.push(await measureThroughput(emulator, benchCase));
    }
  } finally {
    await emulator.stop();
  }

  const pickup: BenchResults['pickup'] = options.skipPickup ? 'skipped' : await measurePickupCases(options, log);

  if (!options.skipChunking) log('chunk processor (issue 22)');
  const chunking: BenchResults['chunking'] = options.skipChunking ? 'skipped' : await measureChunkingSection(log);

  let testSuite: BenchResults['testSuite'] = 'skipped';
  if (!options.skipTests) {
    log('test suite (npx jest, all projects)');
    testSuite = await measureTestSuite(REPO_ROOT);
  }

  const results = {
    startedAt,
    command: `npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: describeMachine(),
    synth: { deepImports, throughTsx, indexImport },
    requestCosts,
    throughput,
    bundles,
    pickup,
    chunking,
    testSuite,
  };
  return { ...results, targets: checkTargets(results) };
}

/** Issue 22's figures: the chunk processor against LangChain's splitter, extraction, memory, the bundle. */
function measureChunkingSection(log: (line: string) => void): Promise<ChunkingFigures> {
  return measureChunking({ repoRoot: REPO_ROOT, corpusBytes: 4 * MIB, largeTextBytes: 100 * 1000 * 1000, pdfPages: 300, log });
}

/** Issue 13's before and after, in one run: the schedule alone, then the event trigger, each on its own local pipeline. */
async function measurePickupCases(options: BenchOptions, log: (line: string) => void): Promise<PickupFigures[]> {
  const figures: PickupFigures[] = [];
  for (const trigger of ['schedule', 'event'] as const) {
    figures.push(await measurePickup({ trigger, rows: options.pickupRows, tickSeconds: options.pickupTickSeconds, log }));
  }
  return figures;
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('Synth, worker throughput, orchestrator bundle, command processor and test-suite figures (docs/benchmarks.md)')
    .option('--skip-tests', 'do not run the jest suite (it takes many minutes)', false)
    .option('--output <file>', 'where to write the JSON results', path.join(RESULTS_DIR, 'latest.json'))
    .option('--synth-runs <n>', 'synth runs per variant (median)', positiveInteger, 5)
    .option('--small-objects <n>', 'small (1 KiB) objects to copy', positiveInteger, 2000)
    .option('--large-objects <n>', 'large (50 MiB) objects to copy', positiveInteger, 20)
    .option('--skip-pickup', 'do not measure pickup on the local pipeline (two deployments, about 20 minutes)', false)
    .option('--pickup-only', 'measure pickup only (writes bench-results/pickup.json unless --output is given)', false)
    .option('--pickup-rows <n>', 'rows per pickup series (cold and warm, per trigger)', positiveInteger, 20)
    .option('--pickup-tick-seconds <n>', "seconds between the schedule's runs in the pickup section", positiveInteger, 60)
    .option('--chunking-only', 'measure the chunk processor only (writes bench-results/chunking.json unless --output is given)', false)
    .option('--skip-chunking', 'do not measure the chunk processor (a few minutes)', false)
    .option('--command-only', 'measure the command processor only (writes bench-results/command.json unless --output is given)', false)
    .option('--command-small-files <n>', '1 KiB files through the command processor', positiveInteger, 200)
    .option('--command-large-files <n>', '100 MiB files through the command processor', positiveInteger, 5)
    .option('--command-scaling-files <n>', 'CPU-bound files at concurrency 1, then 2', positiveInteger, 16)
    .parse();
  const options = program.opts<BenchOptions>();
  if (options.chunkingOnly) {
    const started = new Date().toISOString();
    const chunking = await measureChunkingSection((line) => void process.stderr.write(`bench: ${line}\n`));
    const output = program.getOptionValueSource('output') === 'default' ? path.join(RESULTS_DIR, 'chunking.json') : options.output;
    const targets = chunkingTargets(chunking);
    const results = { startedAt: started, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), chunking, targets };
    mkdirSync(path.dirname(output), { recursive: true });
    writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
    const verdicts = targets.map((target) => `${target.measure}: ${target.actual} (target ${target.target}) ${target.met ? 'met' : 'NOT MET'}`);
    process.stdout.write(`${formatChunking(chunking)}\n\n${verdicts.join('\n')}\n\nJSON: ${path.relative(process.cwd(), output)}\n`);
    return;
  }
  if (options.commandOnly) {
    const started = new Date().toISOString();
    const startedMs = Date.now();
    const emulator = await startEmulator();
    let command;
    try {
      command = await measureCommandProcessor(emulator, {
        smallFiles: options.commandSmallFiles,
        largeFiles: options.commandLargeFiles,
        scalingFiles: options.commandScalingFiles,
        log: (line) => void process.stderr.write(`bench: ${line}\n`),
      });
    } finally {
      await emulator.stop();
    }
    const output = program.getOptionValueSource('output') === 'default' ? path.join(RESULTS_DIR, 'command.json') : options.output;
    const results = { startedAt: started, wallSeconds: (Date.now() - startedMs) / 1000, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), commandProcessor: command };
    mkdirSync(path.dirname(output), { recursive: true });
    writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${formatCommand(command)}\n\ncommand section: ${Math.round(results.wallSeconds)} s\nJSON: ${path.relative(process.cwd(), output)}\n`);
    return;
  }
  if (options.pickupOnly) {
    const started = new Date().toISOString();
    const startedMs = Date.now();
    const pickup = await measurePickupCases(options, (line) => void process.stderr.write(`bench: ${line}\n`));
    const output = program.getOptionValueSource('output') === 'default' ? path.join(RESULTS_DIR, 'pickup.json') : options.output;
    const results = { startedAt: started, wallSeconds: (Date.now() - startedMs) / 1000, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, machine: describeMachine(), pickup };
    mkdirSync(path.dirname(output), { recursive: true });
    writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${formatPickup(pickup)}\n\npickup section: ${Math.round(results.wallSeconds)} s\nJSON: ${path.relative(process.cwd(), output)}\n`);
    return;
  }
  const results = await bench(options);
  mkdirSync(path.dirname(options.output), { recursive: true });
  writeFileSync(options.output, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${formatReport(results)}\n\nJSON: ${path.relative(process.cwd(), options.output)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
