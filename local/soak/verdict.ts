/**
 * Pure: where each row ended, whether that is explained, and the soak's one-line summary.
 *
 * Every row lands in exactly one class, so the classes add up to the row count:
 *  - finished: FINISHED, output_path is the output of the s3_path the row holds, and the output equals the input;
 *  - differing: FINISHED with that output_path, but the output differs from the input (or is missing);
 *  - failed: FAILED with a reason;
 *  - dead-lettered: PENDING, and its message is in the work DLQ (its worker died on the last receive);
 *  - pending-in-queue: PENDING while the work queue still held messages when the run gave up (a timeout);
 *  - stuck: PENDING, not in the DLQ, and the work queue empty: nothing will ever process it;
 *  - lost: anything else (no row, FAILED without a reason, FINISHED with another submission's output, a
 *    status the pipeline never writes);
 *  - emulator-lost-write: would be stuck, lost or differing, and the row's stream shows the emulator lost a
 *    write to it (see lostWriteInStream). The emulator serializes DynamoDB's writes (local/emulator/moto-server.py),
 *    so this fails the soak like the classes it replaces: it names the cause, it excuses nothing.
 */
import { ItemAttribute, ItemStatus } from '../../contracts';
import { COPY_MODE, type SoakMode } from './mode';
import type { PlannedRow } from './plan';
import type { Row, StreamChange } from './observe';

export type RowClass = 'finished' | 'differing' | 'failed' | 'dead-lettered' | 'pending-in-queue' | 'stuck' | 'lost' | 'emulator-lost-write';

/** What the soak saw of one row at the end. */
export interface RowObservation {
  /** undefined: the row is not in the table. */
  readonly row: Row | undefined;
  readonly inDeadLetterQueue: boolean;
  /** For a FINISHED row whose output_path is right: whether the output's bytes equal the input's. */
  readonly output?: 'identical' | 'differs' | 'missing';
  /** A write the emulator lost, as lostWriteInStream describes it (read only for rows not otherwise explained). */
  readonly lostWrite?: string;
}

export interface RowVerdict {
  readonly id: string;
  readonly class: RowClass;
  readonly status?: string;
  readonly reason?: string;
  /** Why a lost row is lost, or why an outcome is not the one planned. */
  readonly detail?: string;
  /** Ended FINISHED/FAILED otherwise than planned (a good row FAILED, a bad row with another reason). */
  readonly unexpected: boolean;
  /** Times a worker's interruption gave the row's work back (its `interruptions` attribute); absent when none. */
  readonly interruptions?: number;
}

/** The output path a FINISHED `copy` row must carry: the output of the s3_path it holds (undefined: no valid path). */
export function expectedOutputPath(row: Row, bucketName: string): string | undefined {
  return COPY_MODE.expectedOutputPath(row, bucketName);
}

/** `mode`: what the rows are processed with (the default: copy), which says where outputs are and what each row must end as. */
export function judgeRow(planned: PlannedRow, seen: RowObservation, bucketName: string, workQueueEmpty: boolean, mode: SoakMode = COPY_MODE): RowVerdict {
  const interruptions = Number(seen.row?.[ItemAttribute.interruptions]?.N ?? 0);
  const verdict = { ...judgeOutcome(planned, seen, bucketName, workQueueEmpty, mode), ...(interruptions > 0 ? { interruptions } : {}) };
  if (seen.lostWrite === undefined || !UNEXPLAINED.includes(verdict.class)) return verdict;
  return { ...verdict, class: 'emulator-lost-write', detail: `the emulator lost a write: ${seen.lostWrite}`, unexpected: false };
}

/** Classes a lost write can produce: for a row in one of them, the soak reads its stream for the cause. */
export const UNEXPLAINED: readonly RowClass[] = ['stuck', 'lost', 'differing'];

/**
 * The first place a row's stream breaks its chain, described; undefined when it holds. In DynamoDB, writes to
 * one item are serialized, so each record's old image is the item the previous record left. moto's own models
 * check an UpdateItem's condition and then apply it without a lock: were two requests to interleave, a PutItem
 * of the same item in between would replace it, the update would land on the replaced copy and be lost, and the
 * stream would show two records replacing the same old image. The launcher serializes them (docs/trust.md).
 */
export function lostWriteInStream(changes: readonly StreamChange[]): string | undefined {
  for (let index = 1; index < changes.length; index++) {
    const [previous, current] = [changes[index - 1], changes[index]];
    if (canonical(current.oldImage) === canonical(previous.newImage)) continue;
    // moto's own quirk, not a lost write: an UpdateItem that creates an item emits a key-only INSERT first.
    if (previous.eventName === 'INSERT' && current.eventName === 'INSERT' && Object.keys(previous.newImage ?? {}).length === 1) continue;
    return (
      `stream record ${current.sequenceNumber} (${current.eventName} ${describeImage(current.oldImage)} → ${describeImage(current.newImage)}) ` +
      `replaced an item the previous record (${previous.sequenceNumber}) had already replaced with ${describeImage(previous.newImage)}`
    );
  }
  return undefined;
}

/** An image as `status/request_token` (the token's first 8 characters), or `none`. */
export function describeImage(image: Row | undefined): string {
  if (!image) return 'none';
  return `${image[ItemAttribute.status]?.S ?? '-'}/${image[ItemAttribute.requestToken]?.S?.slice(0, 8) ?? '-'}`;
}

function canonical(image: Row | undefined): string {
  return JSON.stringify(image ?? null, (_, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

function judgeOutcome(planned: PlannedRow, seen: RowObservation, bucketName: string, workQueueEmpty: boolean, mode: SoakMode): RowVerdict {
  const { row } = seen;
  const id = planned.id;
  if (row === undefined) return { id, class: 'lost', detail: 'the row is not in the table', unexpected: false };
  const status = row[ItemAttribute.status]?.S;
  const reason = row[ItemAttribute.failureReason]?.S;
  const base = { id, status, ...(reason !== undefined ? { reason } : {}) };
  const expected = mode.expectedOutcome(planned);

  switch (status) {
    case ItemStatus.FINISHED: {
      const outputPath = row[ItemAttribute.outputPath]?.S;
      const wanted = mode.expectedOutputPath(row, bucketName);
      if (wanted === undefined || outputPath !== wanted) {
        return { ...base, class: 'lost', detail: `FINISHED with output_path ${outputPath ?? '(none)'}, not the output of its s3_path`, unexpected: false };
      }
      const unexpected = expected.status !== ItemStatus.FINISHED;
      const detail = unexpected ? 'planned to end FAILED' : undefined;
      if (seen.output !== 'identical') return { ...base, class: 'differing', detail: `output ${seen.output ?? 'not compared'}`, unexpected };
      return { ...base, class: 'finished', ...(detail ? { detail } : {}), unexpected };
    }
    case ItemStatus.FAILED: {
      if (!reason?.trim()) return { ...base, class: 'lost', detail: 'FAILED without a reason', unexpected: false };
      if (expected.status === ItemStatus.FINISHED) return { ...base, class: 'failed', detail: 'planned to end FINISHED', unexpected: true };
      const matches = expected.reason.test(reason);
      return { ...base, class: 'failed', ...(matches ? {} : { detail: `reason should match ${expected.reason}` }), unexpected: !matches };
    }
    case ItemStatus.PENDING:
      if (seen.inDeadLetterQueue) return { ...base, class: 'dead-lettered', unexpected: false };
      if (!workQueueEmpty) return { ...base, class: 'pending-in-queue', unexpected: false };
      return { ...base, class: 'stuck', detail: 'PENDING, its message neither in the work queue nor in the DLQ', unexpected: false };
    default:
      return { ...base, class: 'lost', detail: `status ${JSON.stringify(status)} is not one the pipeline writes`, unexpected: false };
  }
}

/** What the soak prints as its last line. The first ten keys are the interface; the rest explain the run. */
export interface SoakSummary {
  readonly rows: number;
  readonly finished: number;
  readonly failed: number;
  readonly dead_lettered: number;
  readonly stuck_pending: number;
  readonly lost: number;
  readonly differing_outputs: number;
  readonly instances_left: number;
  readonly duplicate_copies: number;
  /**
   * Command processes left running: those still alive at the end, and those a worker that stopped by itself
   * or on SIGTERM left behind (the instance runner's stand-in for the control group had to kill them). A
   * SIGKILLed worker cannot clean up: its commands are the control group's to end, and are not counted.
   */
  readonly commands_left_running: number;
  readonly unexpected_outcomes: number;
  readonly pending_in_queue: number;
  /** Rows the emulator lost a write to (instead of stuck, lost or differing; the evidence is on stderr): a failure. */
  readonly emulator_lost_writes: number;
  readonly seed: string;
  /** What the rows were processed with: `copy`, or a command processor (`--mode command`). */
  readonly mode: SoakMode['name'];
  /** Commands a kill cut short (command mode): the chaos hit workers mid-command. */
  readonly commands_interrupted: number;
  readonly bad_rows: number;
  readonly fixed_rows: number;
  readonly resubmitted_rows: number;
  /** Resubmissions that landed while a worker's job ran: its outcome write was refused and it read the row again. */
  readonly resubmissions_caught_in_job: number;
  readonly duplicate_messages: number;
  readonly same_path_rows: number;
  readonly kills: { readonly SIGKILL: number; readonly SIGTERM: number; readonly skipped: number };
  /**
   * Spot interruptions posted, and what they did to rows: `rows` had their work interrupted (and given back),
   * `rows_failed` of those then ended FAILED otherwise than planned or dead-lettered, which an interruption alone
   * must never cause (docs/capacity.md): the soak fails unless it is 0.
   */
  readonly interruptions: { readonly notices: number; readonly skipped: number; readonly rows: number; readonly rows_failed: number };
  readonly orchestrator: { readonly ticks: number; readonly failed: number; readonly recovered: boolean };
  readonly wall_seconds: number;
}

export interface RunFacts {
  readonly seed: string;
  readonly mode: SoakMode['name'];
  readonly commandsInterrupted: number;
  readonly instancesLeft: number;
  readonly duplicateCopies: number;
  readonly commandsLeftRunning: number;
  readonly planned: readonly PlannedRow[];
  /** Chaos actions actually carried out (a planned one may be skipped when the run settles first). */
  readonly done: {
    readonly fixed: number;
    readonly resubmitted: number;
    readonly resubmissionsCaughtInJob: number;
    readonly duplicateMessages: number;
  };
  readonly kills: { readonly SIGKILL: number; readonly SIGTERM: number; readonly skipped: number };
  readonly interruptions: { readonly notices: number; readonly skipped: number };
  readonly orchestrator: { readonly ticks: number; readonly failed: number; readonly recovered: boolean };
  readonly wallSeconds: number;
}

export function summarize(verdicts: readonly RowVerdict[], facts: RunFacts): SoakSummary {
  const count = (rowClass: RowClass) => verdicts.filter((verdict) => verdict.class === rowClass).length;
  return {
    rows: verdicts.length,
    finished: count('finished'),
    failed: count('failed'),
    dead_lettered: count('dead-lettered'),
    stuck_pending: count('stuck'),
    lost: count('lost'),
    differing_outputs: count('differing'),
    instances_left: facts.instancesLeft,
    duplicate_copies: facts.duplicateCopies,
    commands_left_running: facts.commandsLeftRunning,
    unexpected_outcomes: verdicts.filter((verdict) => verdict.unexpected).length,
    pending_in_queue: count('pending-in-queue'),
    emulator_lost_writes: count('emulator-lost-write'),
    seed: facts.seed,
    mode: facts.mode,
    commands_interrupted: facts.commandsInterrupted,
    bad_rows: facts.planned.filter((row) => row.bad).length,
    fixed_rows: facts.done.fixed,
    resubmitted_rows: facts.done.resubmitted,
    resubmissions_caught_in_job: facts.done.resubmissionsCaughtInJob,
    duplicate_messages: facts.done.duplicateMessages,
    same_path_rows: facts.planned.filter((row) => row.samePathAs).length,
    kills: facts.kills,
    interruptions: {
      ...facts.interruptions,
      rows: verdicts.filter((verdict) => (verdict.interruptions ?? 0) > 0).length,
      rows_failed: verdicts.filter((verdict) => (verdict.interruptions ?? 0) > 0 && (verdict.class === 'dead-lettered' || verdict.unexpected)).length,
    },
    orchestrator: facts.orchestrator,
    wall_seconds: Math.round(facts.wallSeconds),
  };
}

/**
 * 0 only when nothing is lost, stuck, differing or left running (instances, commands) — and, beyond what the
 * interface names, when the emulator lost no write, every outcome is the planned one, nothing was still queued
 * when the run gave up, no interrupted row ended FAILED unplanned or dead-lettered, and the orchestrator
 * recovered from its failed tick.
 */
export function exitCode(summary: SoakSummary): number {
  const clean =
    summary.lost === 0 &&
    summary.stuck_pending === 0 &&
    summary.differing_outputs === 0 &&
    summary.emulator_lost_writes === 0 &&
    summary.instances_left === 0 &&
    summary.commands_left_running === 0 &&
    summary.unexpected_outcomes === 0 &&
    summary.pending_in_queue === 0 &&
    summary.interruptions.rows_failed === 0 &&
    (summary.orchestrator.failed === 0 || summary.orchestrator.recovered);
  return clean ? 0 : 1;
}

/** Copies beyond the first of each row's source: redeliveries after a kill, duplicate messages, re-copies. */
export function countDuplicateCopies(copies: readonly { itemId: string; sourceKey?: string }[], rowIds: ReadonlySet<string>): number {
  const perCopy = new Map<string, number>();
  for (const copy of copies) {
    if (!rowIds.has(copy.itemId)) continue;
    const key = `${copy.itemId}\u0000${copy.sourceKey ?? ''}`;
    perCopy.set(key, (perCopy.get(key) ?? 0) + 1);
  }
  return [...perCopy.values()].reduce((sum, copies) => sum + copies - 1, 0);
}
