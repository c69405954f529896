import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ENDPOINT_ENV, INPUT_PREFIX, ItemAttribute, ItemStatus, OUTPUT_PREFIX, WorkerEnv, WorkerLogEvent } from '../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, type Emulator } from '../local/emulator/moto';
import { WORKER_BUNDLE } from '../local/emulator/paths';
import { DEFAULT_CONCURRENCY } from '../worker/config';
import { copySource } from '../worker/processors/s3-copy';
import { rowPipeMessage } from '../local/standins/pipe-message';
import { benchClients, createBenchResources, inLanes, type BenchClients, type BenchResources } from './emulator-clients';

export interface ThroughputCase {
  readonly name: string;
  readonly objects: number;
  readonly objectBytes: number;
}

export interface RateFigures {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

export interface ThroughputFigures {
  readonly case: ThroughputCase;
  readonly concurrency: number;
  /** The emulator's raw CopyObject rate at the worker's concurrency: one request per object. */
  readonly limit: RateFigures;
  /** One worker process at its default settings, from its start to the last row FINISHED. */
  readonly worker: RateFigures;
  /** One message at a time: receive, GetObject, PutObject of the body, status update, delete. */
  readonly baseline: RateFigures;
  readonly workerToLimit: number;
  readonly workerToBaseline: number;
}

/** Seeding requests at once: enough to keep moto busy, not so many that large puts pile up in memory. */
const SEED_LANES = 8;
const SEND_BATCH = 10;
const WRITE_BATCH = 25;
const POLL_MS = 100;
/** A generous bound so a stuck run fails instead of hanging the bench. */
const RUN_DEADLINE_MS = 10 * 60_000;

/** Measures limit, worker and baseline for one case on a freshly reset emulator. */
export async function measureThroughput(emulator: Emulator, benchCase: ThroughputCase): Promise<ThroughputFigures> {
  await emulator.reset();
  const concurrency = DEFAULT_CONCURRENCY;
  const pipeline = await createBenchResources(emulator.endpoint, { visibilityTimeoutSeconds: 30 });
  const clients = benchClients(emulator.endpoint, concurrency);
  try {
    const keys = Array.from({ length: benchCase.objects }, (_, index) => `bench/${benchCase.name}/object-${index}.bin`);
    await seedObjects(clients, pipeline.bucketName, keys, benchCase.objectBytes);
    const limit = await measureLimit(clients, pipeline.bucketName, keys, concurrency);
    const worker = await measureWorker(clients, pipeline, keys);
    const baseline = await measureBaseline(clients, pipeline, keys);
    return {
      case: benchCase,
      concurrency,
      limit,
      worker,
      baseline,
      workerToLimit: worker.rowsPerSecond / limit.rowsPerSecond,
      workerToBaseline: worker.rowsPerSecond / baseline.rowsPerSecond,
    };
  } finally {
    clients.destroy();
  }
}

async function seedObjects(clients: BenchClients, bucketName: string, keys: readonly string[], bytes: number): Promise<void> {
  const body = randomBytes(bytes);
  await inLanes(keys.length, SEED_LANES, async (index) => {
    await clients.s3.send(new PutObjectCommand({ Bucket: bucketName, Key: `${INPUT_PREFIX}${keys[index]}`, Body: body }));
  });
}

async function measureLimit(
  clients: BenchClients,
  bucketName: string,
  keys: readonly string[],
  concurrency: number,
): Promise<RateFigures> {
  const started = performance.now();
  await inLanes(keys.length, concurrency, async (index) => {
    await clients.s3.send(
      new CopyObjectCommand({
        Bucket: bucketName,
        Key: `bench-limit/${keys[index]}`,
        CopySource: copySource(bucketName, `${INPUT_PREFIX}${keys[index]}`),
      }),
    );
  });
  return rate(keys.length, performance.now() - started);
}

/** Writes PENDING rows `<prefix>-<n>` for the keys (naming `processor` when given) and sends the message the pipe would send for each. */
export async function submitRows(
  clients: BenchClients,
  pipeline: BenchResources,
  queueUrl: string,
  prefix: string,
  keys: readonly string[],
  processor?: string,
): Promise<string[]> {
  const rows = keys.map((key, index) => ({
    [ItemAttribute.id]: `${prefix}-${index}`,
    [ItemAttribute.status]: ItemStatus.PENDING,
    [ItemAttribute.s3Path]: `s3://${pipeline.bucketName}/${INPUT_PREFIX}${key}`,
    ...(processor === undefined ? {} : { [ItemAttribute.processor]: processor }),
  }));
  await inLanes(Math.ceil(rows.length / WRITE_BATCH), SEED_LANES, async (batch) => {
    const items = rows.slice(batch * WRITE_BATCH, (batch + 1) * WRITE_BATCH);
    const result = await clients.documents.send(
      new BatchWriteCommand({
        RequestItems: { [pipeline.tableName]: items.map((row) => ({ PutRequest: { Item: row } })) },
      }),
    );
    if (Object.keys(result.UnprocessedItems ?? {}).length > 0) throw new Error('BatchWriteItem left items unprocessed');
  });
  await inLanes(Math.ceil(rows.length / SEND_BATCH), SEED_LANES, async (batch) => {
    const entries = rows.slice(batch * SEND_BATCH, (batch + 1) * SEND_BATCH);
    const result = await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: entries.map((row, index) => ({ Id: String(index), MessageBody: rowPipeMessage(row) })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed: ${JSON.stringify(result.Failed)}`);
  });
  return rows.map((row) => row[ItemAttribute.id]);
}

async function measureWorker(clients: BenchClients, pipeline: BenchResources, keys: readonly string[]): Promise<RateFigures> {
  const ids = await submitRows(clients, pipeline, pipeline.queueUrl, 'worker', keys);
  const logDir = mkdtempSync(path.join(tmpdir(), 'bench-worker-'));
  const logPath = path.join(logDir, 'sqs_worker.logs');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...EMULATOR_CREDENTIALS,
    [ENDPOINT_ENV]: pipeline.endpoint,
    [WorkerEnv.queueUrl]: pipeline.queueUrl,
    [WorkerEnv.tableName]: pipeline.tableName,
    [WorkerEnv.bucketName]: pipeline.bucketName,
    [WorkerEnv.region]: EMULATOR_REGION,
    [WorkerEnv.instanceId]: 'i-0bench0000000000',
    [WorkerEnv.logPath]: logPath,
  };
  const startedAt = Date.now();
  const child = spawn(process.execPath, [WORKER_BUNDLE], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const lastFinishedAt = await waitForFinished(logPath, ids.length, () => child.exitCode !== null, () => stderr);
    await expectAllFinished(clients, pipeline, ids);
    return rate(ids.length, lastFinishedAt - startedAt);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * Follows the worker's JSON log until `count` rows are FINISHED; returns the time of the last one (ms epoch).
 * Reads only what was appended since the last look, and parses only the lines that matter, so following the
 * log costs the machine (two cores shared with the worker and the emulator) next to nothing.
 */
export async function waitForFinished(logPath: string, count: number, exited: () => boolean, stderr: () => string): Promise<number> {
  const deadline = Date.now() + RUN_DEADLINE_MS;
  let offset = 0;
  let partial = '';
  let finished = 0;
  let lastFinishedAt = 0;
  for (;;) {
    if (existsSync(logPath)) {
      const chunk = readAppended(logPath, offset);
      offset += chunk.length;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"event":"item_failed"') || line.includes('"event":"message_retry"')) {
          throw new Error(`the worker logged a failure: ${line}`);
        }
        if (line.includes(`"event":"${WorkerLogEvent.itemFinished}"`)) {
          finished += 1;
          lastFinishedAt = Math.max(lastFinishedAt, Date.parse((JSON.parse(line) as { time: string }).time));
        }
      }
      if (finished >= count) return lastFinishedAt;
    }
    if (exited()) throw new Error(`the worker exited before finishing ${count} rows: ${stderr()}`);
    if (Date.now() > deadline) throw new Error(`the worker did not finish ${count} rows within ${RUN_DEADLINE_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function readAppended(file: string, offset: number): Buffer {
  const descriptor = openSync(file, 'r');
  try {
    const size = fstatSync(descriptor).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    if (buffer.length > 0) readSync(descriptor, buffer, 0, buffer.length, offset);
    return buffer;
  } finally {
    closeSync(descriptor);
  }
}

/** Reads the table back: every row the phase submitted must be FINISHED. */
async function expectAllFinished(clients: BenchClients, pipeline: BenchResources, ids: readonly string[]): Promise<void> {
  const statuses = new Map<string, unknown>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(new ScanCommand({ TableName: pipeline.tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) statuses.set(String(item[ItemAttribute.id]), item[ItemAttribute.status]);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const unfinished = ids.filter((id) => statuses.get(id) !== ItemStatus.FINISHED);
  if (unfinished.length > 0) throw new Error(`${unfinished.length} rows are not FINISHED, e.g. ${unfinished[0]}`);
}

/**
 * The naive consumer the worker is compared with: one message at a time; the object is downloaded whole and
 * uploaded again; then the conditional status write and a single delete. It has a queue of its own: the stopped
 * worker's last long poll is still open on the emulator and would take (and hide for 30 s) the first messages.
 */
async function measureBaseline(clients: BenchClients, pipeline: BenchResources, keys: readonly string[]): Promise<RateFigures> {
  const { QueueUrl: queueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'bench-baseline-queue' }));
  if (queueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');
  const ids = await submitRows(clients, pipeline, queueUrl, 'baseline', keys);
  const started = performance.now();
  const deadline = Date.now() + RUN_DEADLINE_MS;
  let done = 0;
  while (done < ids.length) {
    if (Date.now() > deadline) throw new Error(`the baseline did not finish ${ids.length} rows in time`);
    const { Messages: messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
    );
    for (const message of messages) {
      const record = JSON.parse(message.Body ?? '{}') as { dynamodb: { NewImage: Parameters<typeof unmarshall>[0] } };
      const row = unmarshall(record.dynamodb.NewImage);
      const sourceKey = String(row[ItemAttribute.s3Path]).replace(`s3://${pipeline.bucketName}/`, '');
      const destinationKey = `${OUTPUT_PREFIX}${sourceKey.slice(INPUT_PREFIX.length)}`;
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: pipeline.bucketName, Key: sourceKey }));
      const body = await object.Body!.transformToByteArray();
      await clients.s3.send(
        new PutObjectCommand({ Bucket: pipeline.bucketName, Key: destinationKey, Body: body, ContentType: object.ContentType }),
      );
      await clients.documents.send(
        new UpdateCommand({
          TableName: pipeline.tableName,
          Key: { [ItemAttribute.id]: row[ItemAttribute.id] },
          UpdateExpression: 'SET #status = :finished',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': ItemAttribute.status },
          ExpressionAttributeValues: { ':finished': ItemStatus.FINISHED, ':pending': ItemStatus.PENDING },
        }),
      );
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      done += 1;
    }
  }
  const elapsed = performance.now() - started;
  await expectAllFinished(clients, pipeline, ids);
  return rate(ids.length, elapsed);
}

function rate(rows: number, elapsedMs: number): RateFigures {
  const seconds = elapsedMs / 1000;
  return { rows, seconds, rowsPerSecond: rows / seconds };
}
