import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { INPUT_PREFIX, ItemAttribute, ItemStatus, OrchestratorLogEvent, WORKER_TAG } from '../contracts';
import { createLocalLog } from '../local/log';
import { startLocalPipeline, type LocalPipeline } from '../local/pipeline';
import { median } from './stats';

/** Median and 95th percentile of a series, in seconds. */
export interface SeriesFigures {
  readonly samples: number;
  readonly medianSeconds: number;
  readonly p95Seconds: number;
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

export interface PickupFigures {
  /** `schedule`: PIPELINE_EVENT_TRIGGER=false, only the schedule starts the orchestrator; `event`: the wake queue too. */
  readonly trigger: 'schedule' | 'event';
  readonly tickSeconds: number;
  readonly deploySeconds: number;
  /** No worker running when the row is written. */
  readonly cold: { readonly putToRunInstances: SeriesFigures; readonly putToFinished: SeriesFigures };
  /** A worker already polling the queue. */
  readonly warm: { readonly putToFinished: SeriesFigures; readonly workers: number };
  readonly wallSeconds: number;
}

export interface PickupCase {
  readonly trigger: 'schedule' | 'event';
  readonly rows: number;
  readonly tickSeconds: number;
  readonly log: (line: string) => void;
}

/** Idle minutes of a local worker: short, so the next cold sample comes soon; longer than a warm row's gap. */
const AUTOTERMINATE_MINUTES = 0.1;
const POLL_MS = 50;
const SAMPLE_DEADLINE_MS = 5 * 60_000;

/**
 * Pickup on the local pipeline (`npm run local`), one deployment per trigger: PutItem → the RunInstances that
 * launched the worker (the orchestrator's `worker_launched` log line, stamped when RunInstances
 * returned), and PutItem → FINISHED (the row's `finished_at`, written by the worker), both against the clock
 * read just before the PutItem. Cold rows are written when no worker runs, one at a time, each after the
 * previous worker has gone; warm rows one after another while one worker polls. The emulator's instances
 * "boot" at once, so the figures are the triggers' own latency plus the local worker's start.
 */
export async function measurePickup(benchCase: PickupCase): Promise<PickupFigures> {
  const started = Date.now();
  benchCase.log(`pickup (${benchCase.trigger} trigger): deploying`);
  const pipeline = await startLocalPipeline({
    env: {},
    settings: { maxWorkers: 1, autoterminateMinutes: AUTOTERMINATE_MINUTES, eventTrigger: benchCase.trigger === 'event' },
    tickSeconds: benchCase.tickSeconds,
    log: createLocalLog(process.stderr, 'warn'),
  });
  const deploySeconds = (Date.now() - started) / 1000;
  try {
    const toLaunch: number[] = [];
    const toFinished: number[] = [];
    const tickMs = benchCase.tickSeconds * 1000;
    for (let index = 0; index < benchCase.rows; index++) {
      await noWorkerRunning(pipeline);
      // A cold sample takes about one tick, so back-to-back rows would fall into step with the schedule and
      // all wait about as long. Rows are written at spread phases of the tick instead: row i at
      // (i + 0.5) / rows of the period after a tick, the latest phases first (each then fits the next period).
      if (benchCase.trigger === 'schedule') await untilTickPhase(pipeline, ((benchCase.rows - index - 0.5) / benchCase.rows) * tickMs, tickMs);
      else await sleep(Math.random() * 2000);
      const sample = await coldSample(pipeline, `cold-${benchCase.trigger}-${index}`);
      toLaunch.push(sample.toLaunchMs / 1000);
      toFinished.push(sample.toFinishedMs / 1000);
      benchCase.log(`pickup (${benchCase.trigger}): cold ${index + 1}/${benchCase.rows}: launch ${(sample.toLaunchMs / 1000).toFixed(2)} s, finished ${(sample.toFinishedMs / 1000).toFixed(2)} s`);
    }

    const warm: number[] = [];
    const workers = new Set<string>();
    await pickupRow(pipeline, `warm-${benchCase.trigger}-first`); // starts the worker the warm rows find
    for (let index = 0; index < benchCase.rows; index++) {
      const sample = await pickupRow(pipeline, `warm-${benchCase.trigger}-${index}`);
      warm.push(sample.toFinishedMs / 1000);
      workers.add(sample.instanceId);
    }
    benchCase.log(`pickup (${benchCase.trigger}): warm median ${median(warm).toFixed(2)} s over ${warm.length} rows, ${workers.size} worker(s)`);

    return {
      trigger: benchCase.trigger,
      tickSeconds: benchCase.tickSeconds,
      deploySeconds,
      cold: { putToRunInstances: series(toLaunch), putToFinished: series(toFinished) },
      warm: { putToFinished: series(warm), workers: workers.size },
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    await pipeline.stop();
  }
}

/** Median and nearest-rank 95th percentile. */
export function series(seconds: readonly number[]): SeriesFigures {
  const sorted = [...seconds].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    medianSeconds: median(sorted),
    p95Seconds: sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)],
    minSeconds: sorted[0],
    maxSeconds: sorted[sorted.length - 1],
  };
}

async function coldSample(pipeline: LocalPipeline, id: string): Promise<{ toLaunchMs: number; toFinishedMs: number }> {
  const { insertedAt, toFinishedMs, instanceId } = await pickupRow(pipeline, id);
  const launchedAt = await launchTime(pipeline, instanceId);
  return { toLaunchMs: launchedAt - insertedAt, toFinishedMs };
}

/** Writes the input and then the row; waits for FINISHED; returns the times and the worker that did it. */
async function pickupRow(pipeline: LocalPipeline, id: string): Promise<{ insertedAt: number; toFinishedMs: number; instanceId: string }> {
  const bucket = String(pipeline.outputs.bucket_name);
  const tableName = String(pipeline.outputs.table_name);
  const key = `${INPUT_PREFIX}bench/pickup/${id}.txt`;
  await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${id}\n` }));
  const insertedAt = Date.now();
  await pipeline.clients.dynamodb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { [ItemAttribute.id]: { S: id }, [ItemAttribute.status]: { S: ItemStatus.PENDING }, [ItemAttribute.s3Path]: { S: `s3://${bucket}/${key}` } },
    }),
  );
  const deadline = insertedAt + SAMPLE_DEADLINE_MS;
  for (;;) {
    const { Item } = await pipeline.clients.dynamodb.send(
      new GetItemCommand({ TableName: tableName, Key: { [ItemAttribute.id]: { S: id } }, ConsistentRead: true }),
    );
    const status = Item?.[ItemAttribute.status]?.S;
    if (status === ItemStatus.FINISHED) {
      return {
        insertedAt,
        toFinishedMs: Date.parse(Item![ItemAttribute.finishedAt].S!) - insertedAt,
        instanceId: Item![ItemAttribute.workerInstanceId].S!,
      };
    }
    if (status !== ItemStatus.PENDING) throw new Error(`bench row ${id} ended ${status}: ${Item?.[ItemAttribute.failureReason]?.S}`);
    if (Date.now() > deadline) throw new Error(`bench row ${id} still PENDING after ${SAMPLE_DEADLINE_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** When RunInstances returned the instance: the `time` of the orchestrator's launch line for it. */
async function launchTime(pipeline: LocalPipeline, instanceId: string): Promise<number> {
  const logGroupName = String(pipeline.outputs.lambda_log_group_name);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { events = [] } = await pipeline.clients.logs.send(
      new FilterLogEventsCommand({ logGroupName, filterPattern: `"${OrchestratorLogEvent.workerLaunched}"` }),
    );
    const line = events.map((event) => JSON.parse(event.message ?? '{}') as { instanceId?: string; time?: string }).find((entry) => entry.instanceId === instanceId);
    if (line?.time) return Date.parse(line.time);
    // The function's lines reach its log group about once a second.
    if (Date.now() > deadline) throw new Error(`no ${OrchestratorLogEvent.workerLaunched} line for ${instanceId} in ${logGroupName}`);
    await sleep(500);
  }
}

/** Waits until `offsetMs` after a scheduled tick (the latest one, or the next ones when that moment has passed). */
async function untilTickPhase(pipeline: LocalPipeline, offsetMs: number, tickMs: number): Promise<void> {
  const lastTick = pipeline.schedule.lastTickAt();
  if (lastTick === undefined) throw new Error('the schedule has not ticked yet');
  let target = lastTick + offsetMs;
  while (target < Date.now() + 100) target += tickMs;
  await sleep(target - Date.now());
}

async function noWorkerRunning(pipeline: LocalPipeline): Promise<void> {
  const deadline = Date.now() + SAMPLE_DEADLINE_MS;
  for (;;) {
    const { Reservations = [] } = await pipeline.clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${WORKER_TAG.key}`, Values: [WORKER_TAG.value] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    const live = Reservations.flatMap((reservation) => reservation.Instances ?? []).length;
    if (live === 0 && pipeline.instances.running().length === 0) return;
    if (Date.now() > deadline) throw new Error('a worker is still running after 5 minutes');
    await sleep(250);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
