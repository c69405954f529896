/**
 * Carries out a soak plan's chaos while the pipeline works: resubmissions (early, or the moment a worker
 * starts copying the row), fixes of failed rows, duplicate deliveries, worker kills, Spot interruptions and one
 * crashed orchestrator invocation. The rows the plan holds for kills are written as each kill is done, so the next
 * kill always has a worker taking a message to hit. It is driven by the workers' log lines (the run's clock: messages received, and
 * who holds what) and by the runner's looks at the table (which rows are FAILED or FINISHED).
 */
import { ItemStatus, WorkerLogEvent, type WorkerLogEventName } from '../../contracts';
import type { LocalPipeline } from '../pipeline';
import type { WorkerRun } from '../standins/instance-runner';
import { pause } from '../standins/pipe';
import { deliverAgain, inputPath, pendingItem, resubmitRow, uploadInput, writeRows, type SoakTarget } from './actions';
import type { WorkerLogEntry } from './log-tail';
import { hasOwnInput, initialS3Path, inputBody, type PlannedInterruption, type PlannedKill, type PlannedRow, type SoakPlan } from './plan';
import type { Random } from './random';

/** One kill the soak carried out. */
export interface KillRecord {
  readonly instanceId: string;
  readonly signal: PlannedKill['signal'];
  /** The point of the run (share of the row count received by workers) when the signal was sent. */
  readonly atReceived: number;
}

/** One Spot interruption the soak posted. */
export interface InterruptionRecord {
  readonly instanceId: string;
  readonly noticeMs: number;
  readonly atReceived: number;
}

/** What the chaos actually did (a planned action may be skipped when the run settles first). */
export interface ChaosRecord {
  readonly resubmitted: number;
  readonly fixed: number;
  readonly duplicateMessages: number;
  readonly kills: readonly KillRecord[];
  readonly killsSkipped: number;
  readonly interruptions: readonly InterruptionRecord[];
  /** Planned interruptions no Spot worker was seen to take a message for. */
  readonly interruptionsSkipped: number;
  /** The schedule's counts once the injected crash had happened; undefined if it never did. */
  readonly tickCrash?: { readonly ticks: number; readonly failedTicks: number };
  /** Workers started before the first kill (the instance history's length then). */
  readonly workersBeforeFirstKill?: number;
}

export interface Chaos {
  /** Uploads the inputs and writes every row, sending the at-once duplicate deliveries after their rows. */
  submitAll(): Promise<void>;
  /** A look at the rows: fixes the planned FAILED rows, delivers the late duplicates of FINISHED ones. */
  look(statuses: ReadonlyMap<string, string | undefined>): Promise<void>;
  /**
   * A worker's log line. Each `message_received` moves the run's clock and may make a queued resubmission, the
   * tick crash or a kill due; a due kill hits the next worker that logs `killOn` (`message_received`: it holds
   * at least that message). A
   * `processing_started` of a row planned for an in-job resubmission makes it due.
   */
  onWorkerEntry(entry: WorkerLogEntry, run: WorkerRun): void;
  /** The share of the row count received by workers so far. */
  received(): number;
  /** True while something started is not over yet (a kill's delay, a resubmission, the crash awaited). */
  busy(): boolean;
  /**
   * Writes the rows still held for kills that never came (a kill is skipped when the run settles first);
   * resolves to how many it wrote. Then they are processed like any other row.
   */
  writeHeldRows(): Promise<number>;
  /** Waits for what is under way; rejects with the first action that failed. */
  drain(): Promise<void>;
  record(): ChaosRecord;
}

export interface ChaosOptions {
  readonly plan: SoakPlan;
  readonly target: SoakTarget;
  readonly pipeline: Pick<LocalPipeline, 'instances' | 'schedule'>;
  readonly random: Random;
  readonly say: (line: string) => void;
  readonly signal: AbortSignal;
  /**
   * @default message_received — the worker log line that makes a due kill hit its worker (the command mode's is
   * command_started: the kill then lands while a command runs)
   */
  readonly killOn?: WorkerLogEventName;
}

const UPLOADS_AT_ONCE = 8;
const WRITE_BATCH = 100;

export function startChaos({ plan, target, pipeline, random, say, signal, killOn = WorkerLogEvent.messageReceived }: ChaosOptions): Chaos {
  const rowCount = plan.rows.length;
  const items = new Map(
    plan.rows.map((row) => [row.id, pendingItem(row.id, initialS3Path(row, target.bucketName), row.withToken ? random.token() : undefined)]),
  );
  const resubmissionsDue = new Map(plan.rows.filter((row) => row.resubmission).map((row) => [row.id, row]));
  const fixesDue = new Set(plan.rows.filter((row) => row.fix));
  const lateDuplicatesDue = new Set(plan.rows.filter((row) => row.duplicate === 'message-after-finish'));
  const killsDue = [...plan.kills];
  /** The rows written once kill N is done (PlannedRow.heldUntilKill), by N; an entry leaves once written. */
  const heldForKill = new Map<number, PlannedRow[]>();
  for (const row of plan.rows) if (row.heldUntilKill !== undefined) heldForKill.set(row.heldUntilKill, [...(heldForKill.get(row.heldUntilKill) ?? []), row]);
  const writeHeld = async (kill: number) => {
    const rows = heldForKill.get(kill) ?? [];
    heldForKill.delete(kill);
    await writeRows(target, rows.map((row) => items.get(row.id)!));
    if (rows.length > 0) say(`wrote ${rows.length} row(s) held back for kill ${kill + 1}`);
  };
  const interruptionsDue = [...plan.interruptions];
  const interruptions: InterruptionRecord[] = [];
  const underway = new Set<Promise<void>>();
  const failures: Error[] = [];
  const kills: KillRecord[] = [];
  let receivedMessages = 0;
  let crashRequested = false;
  let tickCrash: ChaosRecord['tickCrash'];
  let killing = false;
  let resubmitted = 0;
  let fixed = 0;
  let duplicateMessages = 0;
  let workersBeforeFirstKill: number | undefined;

  const received = () => receivedMessages / rowCount;
  const track = (work: Promise<void>) => {
    const tracked = work.catch((error: Error) => void failures.push(error)).finally(() => underway.delete(tracked));
    underway.add(tracked);
  };
  const deliverDuplicate = (row: PlannedRow) => deliverAgain(target, items.get(row.id)!, ++duplicateMessages);
  /** Writes the row again as a new submission, as its producer would; returns the status it replaced. */
  const submitAgain = async (row: PlannedRow, rest: string, version: number, size: number) => {
    await uploadInput(target, rest, inputBody(plan, row.id, version, size));
    const item = pendingItem(row.id, { S: inputPath(target.bucketName, rest) }, random.token());
    items.set(row.id, item);
    return resubmitRow(target, item);
  };
  const resubmit = async (row: PlannedRow) => {
    const { kind, moment, rest, size } = row.resubmission!;
    const replaced = await submitAgain(row, rest, 1, size);
    resubmitted++;
    say(`resubmitted ${row.id} (${kind}, ${moment}) over ${replaced ?? 'nothing'}`);
  };
  const kill = async (planned: PlannedKill, victim: WorkerRun) => {
    await pause(planned.delayMs, signal);
    if (victim.exit || signal.aborted) return; // gone meanwhile: the next worker seen taking a message
    workersBeforeFirstKill ??= pipeline.instances.history().length;
    process.kill(victim.pid!, planned.signal);
    killsDue.shift();
    kills.push({ instanceId: victim.instanceId, signal: planned.signal, atReceived: received() });
    say(`${planned.signal} → worker ${victim.instanceId} (pid ${victim.pid}), ${(received() * 100).toFixed(0)} % of the rows received`);
    await writeHeld(kills.length - 1);
  };
  /** Interrupts that Spot worker as EC2 would: the notice in its metadata, the instance gone when it is up. */
  const interrupt = (planned: PlannedInterruption, victim: WorkerRun) => {
    if (!pipeline.instances.interrupt(victim.instanceId, planned.noticeMs)) return;
    interruptionsDue.shift();
    interruptions.push({ instanceId: victim.instanceId, noticeMs: planned.noticeMs, atReceived: received() });
    say(`Spot interruption notice → worker ${victim.instanceId}, ${Math.round(planned.noticeMs / 1000)} s, ${(received() * 100).toFixed(0)} % of the rows received`);
  };
  /** What the run's clock makes due, except kills and interruptions (they need a worker holding a message). */
  const onClock = () => {
    for (const row of resubmissionsDue.values()) {
      if (row.resubmission!.moment !== 'queued' || row.resubmission!.atReceived > received()) continue;
      resubmissionsDue.delete(row.id);
      track(resubmit(row));
    }
    if (!crashRequested && received() >= plan.tickCrashAtReceived) {
      crashRequested = true;
      say('the next orchestrator invocation will crash');
      track(
        pipeline.schedule.crashNextInvocation().then(() => {
          tickCrash = { ticks: pipeline.schedule.ticks(), failedTicks: pipeline.schedule.failedTicks() };
          say('an orchestrator invocation crashed (Runtime.ExitError)');
        }),
      );
    }
  };

  return {
    async submitAll() {
      const inputs = plan.rows.filter(hasOwnInput);
      let next = 0;
      const uploader = async () => {
        while (next < inputs.length) {
          const row = inputs[next++];
          await uploadInput(target, row.rest, inputBody(plan, row.id, 0, row.size));
        }
      };
      await Promise.all(Array.from({ length: UPLOADS_AT_ONCE }, uploader));
      const first = plan.rows.filter((row) => row.heldUntilKill === undefined);
      for (let start = 0; start < first.length; start += WRITE_BATCH) {
        const batch = first.slice(start, start + WRITE_BATCH);
        await writeRows(target, batch.map((row) => items.get(row.id)!));
        for (const row of batch) if (row.duplicate === 'message-at-once') await deliverDuplicate(row);
      }
    },

    async look(statuses) {
      for (const row of fixesDue) {
        if (statuses.get(row.id) !== ItemStatus.FAILED) continue;
        fixesDue.delete(row);
        await submitAgain(row, row.rest, 0, row.size);
        fixed++;
        say(`fixed ${row.id} (${row.bad}) and set it back to PENDING`);
      }
      for (const row of lateDuplicatesDue) {
        if (statuses.get(row.id) !== ItemStatus.FINISHED) continue;
        lateDuplicatesDue.delete(row);
        await deliverDuplicate(row);
      }
    },

    onWorkerEntry(entry, run) {
      const row = entry.item_id === undefined ? undefined : resubmissionsDue.get(entry.item_id);
      if (entry.event === WorkerLogEvent.processingStarted && row?.resubmission?.moment === 'in-job') {
        resubmissionsDue.delete(row.id);
        track(resubmit(row));
      }
      if (entry.event === WorkerLogEvent.messageReceived) {
        receivedMessages++;
        onClock();
      }
      if (entry.event !== killOn) return;
      const due = killsDue[0];
      if (!killing && due && due.atReceived <= received() && run.pid !== undefined && !run.exit) {
        killing = true;
        track(kill(due, run).finally(() => (killing = false)));
      }
      const interruption = interruptionsDue[0];
      if (interruption && interruption.atReceived <= received() && run.lifecycle === 'spot' && !run.exit) interrupt(interruption, run);
    },

    received,
    busy: () => underway.size > 0,
    async writeHeldRows() {
      const left = [...heldForKill.keys()];
      for (const kill of left) await writeHeld(kill);
      return left.reduce((sum, kill) => sum + plan.rows.filter((row) => row.heldUntilKill === kill).length, 0);
    },
    async drain() {
      while (underway.size > 0) await Promise.all([...underway]);
      if (failures.length > 0) throw new Error(`a chaos action failed: ${failures[0].message}`, { cause: failures[0] });
    },
    record: () => ({
      resubmitted,
      fixed,
      duplicateMessages,
      kills,
      killsSkipped: killsDue.length,
      interruptions,
      interruptionsSkipped: interruptionsDue.length,
      ...(tickCrash ? { tickCrash } : {}),
      ...(workersBeforeFirstKill !== undefined ? { workersBeforeFirstKill } : {}),
    }),
  };
}
