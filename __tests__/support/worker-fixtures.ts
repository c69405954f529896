import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus, WorkerEnv, ENDPOINT_ENV, INPUT_PREFIX, OUTPUT_PREFIX, PROCESSOR_CATALOG_KEY, type ProcessorCatalog } from '../../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../local/emulator/moto';
import { WORKER_BUNDLE } from '../../local/emulator/paths';
import { createStackResources, type StackResourceOptions, type StackResources } from '../../local/emulator/stack-resources';
import { rowPipeMessage } from '../../local/standins/pipe-message';
import type { WorkerConfig } from '../../worker/config';
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../../worker/consumer';
import { kitClients, type KitClients } from './clients';

/** The stack's table, queues and bucket on the emulator (local/emulator/stack-resources.ts), with the kit's clients. */
export interface TestPipeline extends StackResources {
  readonly endpoint: string;
  readonly clients: KitClients;
  readonly s3: KitClients['s3'];
  readonly sqs: KitClients['sqs'];
  readonly documents: KitClients['documents'];
}

export async function createTestPipeline(endpoint: string, options: StackResourceOptions = {}): Promise<TestPipeline> {
  const clients = kitClients(endpoint);
  const resources = await createStackResources(clients, { baseName: 'worker-test', ...options });
  return { ...resources, endpoint, clients, s3: clients.s3, sqs: clients.sqs, documents: clients.documents };
}

export function destroyTestPipeline(pipeline: TestPipeline | undefined): void {
  pipeline?.clients.destroy();
}

export function inputPath(pipeline: TestPipeline, rest: string): string {
  return `s3://${pipeline.bucketName}/${INPUT_PREFIX}${rest}`;
}

export async function putInput(
  pipeline: TestPipeline,
  rest: string,
  body: string | Buffer,
  extra: Partial<PutObjectCommandInput> = {},
): Promise<void> {
  await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucketName, Key: `${INPUT_PREFIX}${rest}`, Body: body, ...extra }));
}

/** Writes a PENDING row and sends the message the pipe would send for it. */
export async function submitRow(pipeline: TestPipeline, id: string, s3Path: string): Promise<void> {
  const row = { [ItemAttribute.id]: id, [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: s3Path };
  await putRowAndMessage(pipeline, row);
}

/** Writes `row` as it is and sends the message the pipe would send for it. */
export async function putRowAndMessage(pipeline: TestPipeline, row: Record<string, unknown>): Promise<void> {
  await pipeline.documents.send(new PutCommand({ TableName: pipeline.tableName, Item: row }));
  await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl, MessageBody: rowPipeMessage(row) }));
}

export async function readRow(pipeline: TestPipeline, id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await pipeline.documents.send(
    new GetCommand({ TableName: pipeline.tableName, Key: { [ItemAttribute.id]: id }, ConsistentRead: true }),
  );
  return Item;
}

export async function readOutput(pipeline: TestPipeline, rest: string): Promise<Buffer> {
  return readObject(pipeline, `${OUTPUT_PREFIX}${rest}`);
}

export async function readObject(pipeline: TestPipeline, key: string): Promise<Buffer> {
  const { Body } = await pipeline.s3.send(new GetObjectCommand({ Bucket: pipeline.bucketName, Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}

export const TEST_INSTANCE_ID = 'i-0123456789abcdef0';

/** The worker's configuration for `pipeline`, as loadConfig would build it from {@link workerEnvironment}. */
export function workerConfig(pipeline: TestPipeline, overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  // An in-process worker logs through the test's logger; its log upload reads this (empty) file.
  const logPath = emptyLogFile();
  return {
    queueUrl: pipeline.queueUrl,
    tableName: pipeline.tableName,
    bucketName: pipeline.bucketName,
    region: EMULATOR_REGION,
    instanceId: TEST_INSTANCE_ID,
    idleTimeoutMs: 2_000,
    concurrency: 4,
    visibilityTimeoutSeconds: pipeline.visibilityTimeoutSeconds,
    maxReceiveCount: pipeline.maxReceiveCount,
    multipartThresholdBytes: 5 * 1024 ** 3,
    logPath,
    processorCatalogKey: undefined,
    // Made by the worker when a command processor needs it, beside the log.
    scratchDir: path.join(path.dirname(logPath), 'scratch'),
    scratchReserveBytes: 0,
    endpoint: pipeline.endpoint,
    interruptionRetries: 5,
    shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
    imdsEndpoint: undefined,
    ...overrides,
  };
}

/** The environment `node worker.js` gets on an instance, pointed at the emulator. */
export function workerEnvironment(
  pipeline: TestPipeline,
  overrides: Partial<Record<keyof typeof WorkerEnv, string>> & { logPath: string },
): NodeJS.ProcessEnv {
  const values: Partial<Record<keyof typeof WorkerEnv, string>> = {
    queueUrl: pipeline.queueUrl,
    tableName: pipeline.tableName,
    bucketName: pipeline.bucketName,
    autoterminateMinutes: '5',
    concurrency: '4',
    visibilityTimeoutSeconds: String(pipeline.visibilityTimeoutSeconds),
    multipartThresholdBytes: String(5 * 1024 ** 3),
    maxReceiveCount: String(pipeline.maxReceiveCount),
    instanceId: TEST_INSTANCE_ID,
    region: EMULATOR_REGION,
    ...overrides,
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS, [ENDPOINT_ENV]: pipeline.endpoint };
  for (const [key, name] of Object.entries(WorkerEnv)) {
    const value = values[key as keyof typeof WorkerEnv];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** A worker process started by a test; `kill` kills it (if still running) and waits for it. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startWorker(env: NodeJS.ProcessEnv, args: readonly string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [WORKER_BUNDLE, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Puts a processor catalog (or, as a string, any body) where workers told of one read it. */
export async function putProcessorCatalog(pipeline: TestPipeline, catalog: ProcessorCatalog | string): Promise<void> {
  const body = typeof catalog === 'string' ? catalog : JSON.stringify(catalog);
  await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucketName, Key: PROCESSOR_CATALOG_KEY, Body: body, ContentType: 'application/json' }));
}

export interface WorkerRunOptions {
  /** Where every started worker is recorded, for the suite's afterEach to kill. */
  readonly started: WorkerProcess[];
  /** Worker settings beside the defaults (autoterminate 0.05 min: idle after 3 s). */
  readonly settings?: Partial<Record<keyof typeof WorkerEnv, string>>;
  /** Raw environment variables over the rest. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once the worker is started (to signal it, or to act while it runs). */
  readonly onStart?: (worker: WorkerProcess, logPath: string) => Promise<void>;
  /** @default 120 s: a worker still running then fails the test with its stderr. */
  readonly deadlineMs?: number;
}

/**
 * Runs `node worker.js`, told of the processor catalog, until it stops by itself (idle after 3 s); resolves to
 * its exit, its stderr and its log events.
 */
export async function runWorkerUntilIdle(pipeline: TestPipeline, options: WorkerRunOptions) {
  const logPath = temporaryLogPath();
  const worker = startWorker({
    ...workerEnvironment(pipeline, { autoterminateMinutes: '0.05', logPath, processorCatalogKey: PROCESSOR_CATALOG_KEY, ...options.settings }),
    ...options.env,
  });
  options.started.push(worker);
  await options.onStart?.(worker, logPath);
  let deadline: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    worker.exited,
    new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error(`worker did not stop: ${worker.stderr()}`)), options.deadlineMs ?? 120_000);
    }),
  ]).finally(() => clearTimeout(deadline));
  return { exit, stderr: worker.stderr(), events: readLogEvents(logPath), logPath };
}

export function temporaryLogPath(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'worker-test-')), 'sqs_worker.logs');
}

function emptyLogFile(): string {
  const logPath = temporaryLogPath();
  writeFileSync(logPath, '');
  return logPath;
}

/** The JSON lines of a worker log file; an absent file reads as none. */
export function readLogEvents(logPath: string): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
