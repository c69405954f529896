/**
 * The chaos soak on a running local pipeline: writes the planned rows, lets the chaos (chaos.ts) loose
 * while the pipeline works, waits until it has settled and the workers have had their idle period, then
 * judges where every row ended (verdict.ts). Used by `npm run soak` (main.ts) and the end-to-end suite.
 */
import { ItemAttribute, ItemStatus, StackOutput, WorkerLogEvent, type StackOutputName, type WorkerLogEventName } from '../../contracts';
import { readQueueDepth, type QueueDepth } from '../../runtime/queue-depth';
import { LOCAL_DEFAULTS, type LocalPipeline } from '../pipeline';
import { pause } from '../standins/pipe';
import type { SoakTarget } from './actions';
import { startChaos, type Chaos, type KillRecord } from './chaos';
import { tailWorkerLogs } from './log-tail';
import { eventsInLogs, liveWorkerInstances, objectHash, rowIdsInQueue, scanRows, streamHistories, workerTrails, type Row, type StreamChange } from './observe';
import { planSoak, type PlannedRow, type SoakParameters, type SoakPlan } from './plan';
import { seededRandom } from './random';
import { commandProcessesUnder } from '../standins/leftover-processes';
import type { WorkerRun } from '../standins/instance-runner';
import { interruptedCommands } from './command-mode';
import { COPY_MODE, type SoakMode } from './mode';
import {
  countDuplicateCopies,
  describeImage,
  judgeRow,
  lostWriteInStream,
  summarize,
  UNEXPLAINED,
  type RowObservation,
  type RowVerdict,
  type SoakSummary,
} from './verdict';

/** The parts of a local pipeline the soak drives and watches. */
export type SoakPipeline = Pick<LocalPipeline, 'clients' | 'outputs' | 'deployment' | 'instances' | 'schedule' | 'region' | 'pipe'>;

export interface SoakOptions extends SoakParameters {
  /** @default 1800 — seconds to wait for the pipeline to settle before giving up */
  readonly timeoutSeconds?: number;
  /** @default LOCAL_DEFAULTS.autoterminateMinutes — the deployment's idle period, which the final count waits for */
  readonly autoterminateMinutes?: number;
  /** @default 1000 — milliseconds between looks at the table */
  readonly pollMs?: number;
  /** Human-readable progress lines. */
  readonly progress?: (line: string) => void;
  /** Aborting stops the soak where it is; the report then says what was seen so far. */
  readonly signal?: AbortSignal;
  /** @default COPY_MODE — what the rows are processed with (command-mode.ts for the command processor) */
  readonly mode?: SoakMode;
}

export interface SoakReport {
  readonly summary: SoakSummary;
  readonly plan: SoakPlan;
  readonly rows: readonly RowVerdict[];
  /** Each kill, with how its worker process ended. */
  readonly kills: readonly (KillRecord & { readonly exit?: { code: number | null; signal: NodeJS.Signals | null } })[];
  /** Workers started after the first kill: the orchestrator replaced the killed ones. */
  readonly workersStartedAfterFirstKill: number;
  /** For each row not finished or failed as planned: its stream records and what the workers logged about it. */
  readonly trails: Readonly<Record<string, { readonly stream: readonly string[]; readonly worker: readonly string[] }>>;
}

/**
 * Quiet time — an empty work queue, no row changing status, nothing under way — before the run counts as settled;
 * and the pipe must have found nothing left to deliver since the quiet began (a pipe that lags behind the stream
 * leaves the queue empty while rows still wait to be enqueued).
 */
const SETTLE_MS = 6000;
/** Margin on the idle period for a worker to upload its log and its instance to be terminated. */
const IDLE_MARGIN_MS = 60_000;
const READS_AT_ONCE = 8;

export async function runSoak(pipeline: SoakPipeline, options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const say = options.progress ?? (() => undefined);
  const signal = options.signal ?? new AbortController().signal;
  const plan = planSoak(options);
  const target = await soakTarget(pipeline);
  const mode = options.mode ?? COPY_MODE;
  const chaos = startChaos({ plan, target, pipeline, random: seededRandom(`${options.seed}/run`), say, signal, killOn: mode.killOn });
  const tail = tailWorkerLogs(pipeline.instances, (entry, run) => chaos.onWorkerEntry(entry, run));
  const ids = new Set(plan.rows.map((row) => row.id));

  let settled = false;
  try {
    say(
      `seed ${JSON.stringify(options.seed)}: ${plan.rows.length} rows (${plan.rows.filter((row) => row.bad).length} bad), ` +
        `${plan.kills.length} kill(s), ${plan.interruptions.length} Spot interruption(s)`,
    );
    await chaos.submitAll();
    settled = await watchUntilSettled({ pipeline, target, plan, ids, chaos, options, say, signal });
    say(settled ? 'the pipeline has settled' : signal.aborted ? 'stopped' : 'gave up waiting: the timeout passed');
    await chaos.drain();
  } finally {
    tail.stop();
  }

  // The workers stop themselves after their idle period; whatever is still alive after it is left running.
  const idleMs = (options.autoterminateMinutes ?? LOCAL_DEFAULTS.autoterminateMinutes) * 60_000;
  say(`waiting up to ${Math.round((idleMs + IDLE_MARGIN_MS) / 1000)} s for the workers to stop themselves`);
  const instancesLeft = await waitForNoWorkers(pipeline, idleMs + IDLE_MARGIN_MS, signal);

  say('reading the outcome: rows, dead-letter queue, outputs, worker logs');
  const history = pipeline.instances.history();
  const logPaths = history.map((run) => run.logPath);
  const { verdicts, trails } = await judgeRows(pipeline, target, plan, mode);
  const record = chaos.record();
  const ticks = pipeline.schedule.ticks();
  const failedTicks = pipeline.schedule.failedTicks();

  const summary = summarize(verdicts, {
    seed: options.seed,
    mode: mode.name,
    commandsInterrupted: interruptedCommands(logPaths),
    instancesLeft,
    commandsLeftRunning: commandsLeftRunning(history),
    duplicateCopies: countDuplicateCopies(eventsInLogs(logPaths, WorkerLogEvent.processingFinished), ids),
    planned: plan.rows,
    done: {
      fixed: record.fixed,
      resubmitted: record.resubmitted,
      resubmissionsCaughtInJob: countEvents(logPaths, WorkerLogEvent.itemResubmitted, ids),
      duplicateMessages: record.duplicateMessages,
    },
    kills: {
      SIGKILL: record.kills.filter((kill) => kill.signal === 'SIGKILL').length,
      SIGTERM: record.kills.filter((kill) => kill.signal === 'SIGTERM').length,
      skipped: record.killsSkipped,
    },
    interruptions: { notices: record.interruptions.length, skipped: record.interruptionsSkipped },
    orchestrator: {
      ticks,
      failed: failedTicks,
      // A tick succeeded after the crashed one: more successful ticks now than when it crashed.
      recovered: record.tickCrash !== undefined && ticks - failedTicks > record.tickCrash.ticks - record.tickCrash.failedTicks,
    },
    wallSeconds: (Date.now() - started) / 1000,
  });
  return {
    summary,
    plan,
    rows: verdicts,
    kills: record.kills.map((kill) => ({ ...kill, exit: history.find((run) => run.instanceId === kill.instanceId)?.exit })),
    workersStartedAfterFirstKill: record.workersBeforeFirstKill === undefined ? 0 : history.length - record.workersBeforeFirstKill,
    trails,
  };
}

/**
 * Looks at the rows and the work queue every `pollMs`, letting the chaos act on each look, until the run has
 * settled (true) or the deadline or an abort comes first (false).
 */
async function watchUntilSettled(run: {
  readonly pipeline: SoakPipeline;
  readonly target: SoakTarget;
  readonly plan: SoakPlan;
  readonly ids: ReadonlySet<string>;
  readonly chaos: Chaos;
  readonly options: SoakOptions;
  readonly say: (line: string) => void;
  readonly signal: AbortSignal;
}): Promise<boolean> {
  const { pipeline, target, plan, ids, chaos, options, say, signal } = run;
  const deadline = Date.now() + (options.timeoutSeconds ?? 1800) * 1000;
  let lastState = '';
  let quietSince = Date.now();
  let lastLine = '';
  let lastSaid = 0;
  while (!signal.aborted && Date.now() < deadline) {
    const statuses = await readStatuses(target, ids);
    const resolved = [...statuses.values()].filter((status) => status === ItemStatus.FINISHED || status === ItemStatus.FAILED).length;
    const progress = resolved / plan.rows.length;
    await chaos.look(statuses);

    const depth = await readQueueDepth(target.sqs, target.queueUrl);
    const state = `${JSON.stringify([...statuses.values()])}|${depth.visible}|${depth.inFlight}`;
    if (state !== lastState || chaos.busy()) [lastState, quietSince] = [state, Date.now()];
    const line = describeProgress(statuses, progress, chaos.received(), depth, pipeline.instances.running().length, chaos.record().kills.length, plan.kills.length);
    if ((line !== lastLine && Date.now() - lastSaid >= 5000) || Date.now() - lastSaid >= 30_000) {
      [lastLine, lastSaid] = [line, Date.now()];
      say(line);
    }
    const pipeUpToDate = (pipeline.pipe.upToDateAt() ?? 0) >= quietSince;
    if (depth.visible === 0 && depth.inFlight === 0 && Date.now() - quietSince >= SETTLE_MS && pipeUpToDate) {
      // Rows held for a kill that never came are written now, and the run goes on until they settle too.
      if ((await chaos.writeHeldRows()) === 0) return true;
      quietSince = Date.now();
    }
    await pause(options.pollMs ?? 1000, signal);
  }
  return false;
}

/**
 * Where every row ended. Rows not simply FINISHED or FAILED as planned get a closer look: their stream (did the
 * emulator lose a write to them?) and what the workers logged about them, their trail in the report.
 */
async function judgeRows(pipeline: SoakPipeline, target: SoakTarget, plan: SoakPlan, mode: SoakMode): Promise<{ verdicts: RowVerdict[]; trails: SoakReport['trails'] }> {
  const depth = await readQueueDepth(target.sqs, target.queueUrl);
  const rows = await scanRows(target.dynamodb, target.tableName);
  const deadLettered = await rowIdsInQueue(target.sqs, requiredOutput(pipeline, StackOutput.dlqUrl));
  const outputs = await compareOutputs(target, plan.rows, rows, mode);
  const queueEmpty = depth.visible + depth.inFlight === 0;
  const seen = new Map<string, RowObservation>(
    plan.rows.map(({ id }) => [id, { row: rows.get(id), inDeadLetterQueue: deadLettered.ids.has(id), output: outputs.get(id) }]),
  );
  const first = plan.rows.map((row) => judgeRow(row, seen.get(row.id)!, target.bucketName, queueEmpty, mode));
  const closer = new Set(first.filter((verdict) => !['finished', 'failed'].includes(verdict.class) || verdict.unexpected).map(({ id }) => id));
  const streams = await streamHistories(pipeline.clients.streams, target.streamArn, closer);
  const verdicts = plan.rows.map((row, index) => {
    const lostWrite = UNEXPLAINED.includes(first[index].class) ? lostWriteInStream(streams.get(row.id) ?? []) : undefined;
    return lostWrite === undefined ? first[index] : judgeRow(row, { ...seen.get(row.id)!, lostWrite }, target.bucketName, queueEmpty, mode);
  });
  const workerLines = workerTrails(pipeline.instances.history(), closer);
  const describe = (change: StreamChange) => `${change.sequenceNumber} ${change.eventName} ${describeImage(change.oldImage)} → ${describeImage(change.newImage)}`;
  const trails = Object.fromEntries([...closer].map((id) => [id, { stream: (streams.get(id) ?? []).map(describe), worker: workerLines.get(id) ?? [] }]));
  return { verdicts, trails };
}

async function soakTarget(pipeline: SoakPipeline): Promise<SoakTarget> {
  return {
    dynamodb: pipeline.clients.dynamodb,
    s3: pipeline.clients.s3,
    sqs: pipeline.clients.sqs,
    tableName: requiredOutput(pipeline, StackOutput.tableName),
    bucketName: requiredOutput(pipeline, StackOutput.bucketName),
    // The work queue: the pipe's target, the one the workers receive from.
    queueUrl: requiredOutput(pipeline, StackOutput.queueUrl),
    streamArn: requiredOutput(pipeline, StackOutput.tableStreamArn),
    region: pipeline.region,
  };
}

/** Status of each of the soak's rows (undefined: not in the table). */
async function readStatuses(target: SoakTarget, ids: ReadonlySet<string>): Promise<Map<string, string | undefined>> {
  const rows = await scanRows(target.dynamodb, target.tableName, [ItemAttribute.id, ItemAttribute.status]);
  return new Map([...ids].map((id) => [id, rows.get(id)?.[ItemAttribute.status]?.S]));
}

/** Polls until no worker instance is pending or running, or `withinMs` passes; returns how many are left. */
async function waitForNoWorkers(pipeline: SoakPipeline, withinMs: number, signal: AbortSignal): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const live = await liveWorkerInstances(pipeline.clients.ec2);
    if (live.length === 0 || Date.now() >= deadline || signal.aborted) return live.length;
    await pause(1000, signal);
  }
}

/** For each FINISHED row carrying the right output_path: does its output equal its input, byte for byte? */
async function compareOutputs(target: SoakTarget, planned: readonly PlannedRow[], rows: ReadonlyMap<string, Row>, mode: SoakMode) {
  const outputs = new Map<string, 'identical' | 'differs' | 'missing'>();
  const finished = planned.filter(({ id }) => {
    const row = rows.get(id);
    return row?.[ItemAttribute.status]?.S === ItemStatus.FINISHED && row[ItemAttribute.outputPath]?.S === mode.expectedOutputPath(row, target.bucketName);
  });
  let next = 0;
  const reader = async () => {
    while (next < finished.length) {
      const { id } = finished[next++];
      const row = rows.get(id)!;
      const outputKey = mode.outputObjectKey(row, target.bucketName)!;
      const inputKey = row[ItemAttribute.s3Path]!.S!.slice(`s3://${target.bucketName}/`.length);
      const [input, output] = await Promise.all([objectHash(target.s3, target.bucketName, inputKey), objectHash(target.s3, target.bucketName, outputKey)]);
      outputs.set(id, output === undefined ? 'missing' : output === input ? 'identical' : 'differs');
    }
  };
  await Promise.all(Array.from({ length: READS_AT_ONCE }, reader));
  return outputs;
}

/**
 * Command processes left running: still alive under any worker's scratch directory now, or killed by the
 * instance runner after a worker that was not SIGKILLed (that worker should have ended them itself).
 */
function commandsLeftRunning(history: readonly WorkerRun[]): number {
  const alive = history.reduce((sum, run) => sum + commandProcessesUnder(run.scratchDir).length, 0);
  const leftByWorkers = history.filter((run) => run.exit?.signal !== 'SIGKILL').reduce((sum, run) => sum + (run.leftoverCommands?.length ?? 0), 0);
  return alive + leftByWorkers;
}

/** Lines with this event about the soak's rows, in every worker's log. */
function countEvents(logPaths: readonly string[], event: WorkerLogEventName, ids: ReadonlySet<string>): number {
  return eventsInLogs(logPaths, event).filter((entry) => ids.has(entry.itemId)).length;
}

function describeProgress(
  statuses: ReadonlyMap<string, string | undefined>,
  progress: number,
  received: number,
  depth: QueueDepth,
  workers: number,
  killsDone: number,
  killsPlanned: number,
): string {
  const counts = new Map<string, number>();
  for (const status of statuses.values()) counts.set(status ?? '(none)', (counts.get(status ?? '(none)') ?? 0) + 1);
  const perStatus = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status} ${count}`);
  return (
    `${(progress * 100).toFixed(0).padStart(3)} % resolved (${perStatus.join(', ')}), ${(received * 100).toFixed(0)} % received; queue ${depth.visible} waiting, ` +
    `${depth.inFlight} in flight; ${workers} worker(s); kills ${killsDone}/${killsPlanned}`
  );
}

function requiredOutput(pipeline: SoakPipeline, name: StackOutputName): string {
  const value = pipeline.outputs[name];
  if (typeof value !== 'string' || value === '') throw new Error(`the stack has no "${name}" output`);
  return value;
}
