import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { finished } from 'node:stream/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { ENDPOINT_ENV, INPUT_PREFIX, PROCESSOR_CATALOG_KEY, WorkerEnv, WorkerLogEvent } from '../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, type Emulator } from '../local/emulator/moto';
import { WORKER_BUNDLE } from '../local/emulator/paths';
import { resolveCatalog } from '../runtime/processors/catalog';
import { benchClients, createBenchResources, inLanes, type BenchClients, type BenchResources } from './emulator-clients';
import { median, MIB } from './stats';
import { submitRows, waitForFinished } from './throughput';

/**
 * The command processor's figures (issue 21): what the worker adds to a command's own time per file, at 1 KiB
 * and 100 MiB; a CPU-bound command's files/s at worker concurrency 1 and 2; the worker's peak RSS with a 100 MiB
 * and a 2 GiB input. Each run is `node dist/worker/worker.js` as instances run it, on the emulator, its peak
 * RSS read at exit by a preloaded probe (hwm-probe.js: the address space's own high-water mark).
 */

const HWM_PROBE = path.join(__dirname, 'hwm-probe.js');
/** The command the overhead and memory cases run: a plain copy, so "its own time" is easy to measure alone. */
const COPY_COMMAND = ['cp', '--', '{input}', '{output_dir}/'];
/** About a second of one core, tiny input and output: the concurrency case measures the command, not S3. */
const CPU_COMMAND = ['bash', '-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo $i > "$RAG_OUTPUT_DIR/count"'];
const DIRECT_RUNS = 20;
/** Queues made so far: each worker run gets a new one. */
let queues = 0;

export interface OverheadFigures {
  readonly case: string;
  readonly fileBytes: number;
  readonly files: number;
  /** From the first message received to the last row FINISHED, per file, at concurrency 1. */
  readonly workerMsPerFile: number;
  /** The same command run directly by the bench (spawned, on a local file), median. */
  readonly commandAloneMs: number;
  /** The same files through the built-in `copy` at concurrency 1: the pipeline's own per-file cost, for scale. */
  readonly copyMsPerFile: number;
  readonly overheadMsPerFile: number;
  /** Medians of the worker's own split (processing_finished). */
  readonly downloadMs: number;
  readonly commandMs: number;
  readonly uploadMs: number;
}

export interface ScalingFigures {
  readonly files: number;
  readonly commandAloneMs: number;
  readonly concurrency1FilesPerSecond: number;
  readonly concurrency2FilesPerSecond: number;
  readonly ratio: number;
  /** 1-minute load averages before and after the case: the machine is shared. */
  readonly loadBefore: number;
  readonly loadAfter: number;
}

export interface MemoryFigures {
  readonly case: string;
  readonly inputBytes: number;
  readonly peakRssBytes: number;
}

export interface CommandBenchFigures {
  readonly overhead: readonly OverheadFigures[];
  readonly scaling: ScalingFigures;
  readonly memory: readonly MemoryFigures[];
}

export interface CommandBenchOptions {
  readonly smallFiles: number;
  readonly largeFiles: number;
  readonly scalingFiles: number;
  readonly log: (line: string) => void;
}

export async function measureCommandProcessor(emulator: Emulator, options: CommandBenchOptions): Promise<CommandBenchFigures> {
  const overhead: OverheadFigures[] = [];
  for (const benchCase of [
    { case: '1 KiB', fileBytes: 1024, files: options.smallFiles },
    { case: '100 MiB', fileBytes: 100 * MIB, files: options.largeFiles },
  ]) {
    options.log(`command processor overhead: ${benchCase.files} × ${benchCase.case}`);
    overhead.push(await measureOverhead(emulator, benchCase));
  }
  options.log(`command processor scaling: ${options.scalingFiles} CPU-bound files at concurrency 1 and 2`);
  const scaling = await measureScaling(emulator, options.scalingFiles);
  const memory: MemoryFigures[] = [];
  for (const benchCase of [
    { case: '100 MiB', inputBytes: 100 * MIB },
    { case: '2 GiB', inputBytes: 2 * 1024 * MIB },
  ]) {
    options.log(`command processor peak RSS: one ${benchCase.case} input`);
    memory.push(await measureMemory(emulator, benchCase));
  }
  return { overhead, scaling, memory };
}

async function measureOverhead(emulator: Emulator, benchCase: { case: string; fileBytes: number; files: number }): Promise<OverheadFigures> {
  const setup = await prepare(emulator, { copy: { type: 'command', command: COPY_COMMAND } });
  try {
    const keys = Array.from({ length: benchCase.files }, (_, index) => `bench/command/${index}.bin`);
    const body = randomBytes(benchCase.fileBytes);
    await inLanes(keys.length, 4, async (index) => {
      await setup.clients.s3.send(new PutObjectCommand({ Bucket: setup.pipeline.bucketName, Key: `${INPUT_PREFIX}${keys[index]}`, Body: body }));
    });
    const run = await runWorker(setup, keys, 1);
    const copyRun = await runWorker(setup, keys, 1, 'copy');
    const commandAloneMs = await commandAlone(COPY_COMMAND, body);
    const workerMsPerFile = run.spanMs / benchCase.files;
    return {
      ...benchCase,
      workerMsPerFile,
      commandAloneMs,
      copyMsPerFile: copyRun.spanMs / benchCase.files,
      overheadMsPerFile: workerMsPerFile - commandAloneMs,
      downloadMs: median(run.finished.map((line) => line.download_ms)),
      commandMs: median(run.finished.map((line) => line.command_ms)),
      uploadMs: median(run.finished.map((line) => line.upload_ms)),
    };
  } finally {
    setup.dispose();
  }
}

async function measureScaling(emulator: Emulator, files: number): Promise<ScalingFigures> {
  const loadBefore = loadavg()[0];
  const rates: number[] = [];
  for (const concurrency of [1, 2]) {
    const setup = await prepare(emulator, { cpu: { type: 'command', command: CPU_COMMAND } });
    try {
      const keys = Array.from({ length: files }, (_, index) => `bench/cpu/${index}.txt`);
      await inLanes(keys.length, 4, async (index) => {
        await setup.clients.s3.send(new PutObjectCommand({ Bucket: setup.pipeline.bucketName, Key: `${INPUT_PREFIX}${keys[index]}`, Body: 'x' }));
      });
      const run = await runWorker(setup, keys, concurrency);
      rates.push(files / (run.spanMs / 1000));
    } finally {
      setup.dispose();
    }
  }
  const commandAloneMs = await commandAlone(CPU_COMMAND, Buffer.from('x'), 3);
  return {
    files,
    commandAloneMs,
    concurrency1FilesPerSecond: rates[0],
    concurrency2FilesPerSecond: rates[1],
    ratio: rates[1] / rates[0],
    loadBefore,
    loadAfter: loadavg()[0],
  };
}

async function measureMemory(emulator: Emulator, benchCase: { case: string; inputBytes: number }): Promise<MemoryFigures> {
  const setup = await prepare(emulator, { copy: { type: 'command', command: COPY_COMMAND } });
  const staging = mkdtempSync(path.join(tmpdir(), 'bench-big-'));
  try {
    const file = path.join(staging, 'input.bin');
    await writeLargeFile(file, benchCase.inputBytes);
    await new Upload({
      client: setup.clients.s3,
      params: { Bucket: setup.pipeline.bucketName, Key: `${INPUT_PREFIX}bench/big.bin`, Body: createReadStream(file) },
      partSize: 64 * MIB,
      queueSize: 2,
    }).done();
    rmSync(file);
    const run = await runWorker(setup, ['bench/big.bin'], 1);
    return { ...benchCase, peakRssBytes: run.peakRssBytes };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    setup.dispose();
  }
}

interface Prepared {
  readonly pipeline: BenchResources;
  readonly clients: BenchClients;
  readonly scratch: string;
  dispose(): void;
}

/** A reset emulator with the stack's resources and a catalog of `processors`, and a scratch directory. */
async function prepare(emulator: Emulator, processors: Record<string, unknown>): Promise<Prepared> {
  await emulator.reset();
  const pipeline = await createBenchResources(emulator.endpoint, { visibilityTimeoutSeconds: 300 });
  const clients = benchClients(emulator.endpoint, 8);
  const catalog = resolveCatalog({ processors, defaultProcessor: Object.keys(processors)[0] });
  await clients.s3.send(new PutObjectCommand({ Bucket: pipeline.bucketName, Key: PROCESSOR_CATALOG_KEY, Body: JSON.stringify(catalog) }));
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-scratch-'));
  return {
    pipeline,
    clients,
    scratch,
    dispose() {
      clients.destroy();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

interface ProcessingLine {
  readonly download_ms: number;
  readonly command_ms: number;
  readonly upload_ms: number;
}

/**
 * Runs the worker bundle on `keys` (rows naming `processor`, or the catalog's default) until each row is
 * FINISHED, then stops it (SIGTERM) and reads its peak RSS and its log: the span from the first message
 * received to the last row finished.
 */
async function runWorker(setup: Prepared, keys: readonly string[], concurrency: number, processor?: string) {
  // A queue of its own: a stopped worker's last long poll stays open on the emulator and would take (and hide)
  // the next run's first messages.
  const { QueueUrl: queueUrl } = await setup.clients.sqs.send(
    new CreateQueueCommand({ QueueName: `bench-command-${++queues}`, Attributes: { VisibilityTimeout: '300' } }),
  );
  if (queueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');
  const ids = await submitRows(setup.clients, setup.pipeline, queueUrl, `run-${queues}`, keys, processor);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-command-'));
  const logPath = path.join(dir, 'sqs_worker.logs');
  const rssFile = path.join(dir, 'maxrss');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...EMULATOR_CREDENTIALS,
    [ENDPOINT_ENV]: setup.pipeline.endpoint,
    [WorkerEnv.queueUrl]: queueUrl,
    [WorkerEnv.tableName]: setup.pipeline.tableName,
    [WorkerEnv.bucketName]: setup.pipeline.bucketName,
    [WorkerEnv.region]: EMULATOR_REGION,
    [WorkerEnv.instanceId]: 'i-0bench0000000000',
    [WorkerEnv.logPath]: logPath,
    [WorkerEnv.concurrency]: String(concurrency),
    [WorkerEnv.processorCatalogKey]: PROCESSOR_CATALOG_KEY,
    [WorkerEnv.scratchDir]: setup.scratch,
    [WorkerEnv.scratchReserveBytes]: '0',
    BENCH_HWM_FILE: rssFile,
  };
  const child = spawn(process.execPath, ['--require', HWM_PROBE, WORKER_BUNDLE], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const lastFinishedAt = await waitForFinished(logPath, ids.length, () => child.exitCode !== null, () => stderr);
    child.kill('SIGTERM');
    await exited;
    const lines = readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event: string; time: string } & Partial<ProcessingLine>);
    const firstReceived = Math.min(...lines.filter((line) => line.event === WorkerLogEvent.messageReceived).map((line) => Date.parse(line.time)));
    const finishedLines = lines.filter((line): line is typeof line & ProcessingLine => line.event === WorkerLogEvent.processingFinished);
    return { spanMs: lastFinishedAt - firstReceived, finished: finishedLines, peakRssBytes: Number(readFileSync(rssFile, 'utf8')) };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The command's own time: run directly (spawned, no shell) on a local copy of the input, median of `runs`. */
async function commandAlone(command: readonly string[], body: Buffer, runs = DIRECT_RUNS): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-alone-'));
  try {
    const input = path.join(dir, 'input.bin');
    const stream = createWriteStream(input);
    stream.end(body);
    await finished(stream);
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const output = mkdtempSync(path.join(dir, 'out-'));
      const args = command.map((arg) => arg.replace('{input}', input).replace('{output_dir}', output));
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(args[0], args.slice(1), { stdio: 'ignore', env: { PATH: process.env.PATH, RAG_OUTPUT_DIR: output } });
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} exited ${code}`))));
      });
      times.push(performance.now() - started);
      rmSync(output, { recursive: true, force: true });
    }
    return median(times);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A file of `bytes`, written from one random MiB repeated (the worker never looks at the content). */
async function writeLargeFile(file: string, bytes: number): Promise<void> {
  const block = randomBytes(MIB);
  const stream = createWriteStream(file);
  for (let written = 0; written < bytes; written += block.length) {
    if (!stream.write(block.subarray(0, Math.min(block.length, bytes - written)))) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  stream.end();
  await finished(stream);
}
