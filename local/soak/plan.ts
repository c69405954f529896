/**
 * Pure: what a chaos soak will do, decided entirely from its parameters and seed — which rows are bad and
 * how, which are resubmitted, fixed or duplicated, and at what point of the run workers are killed and an
 * orchestrator tick fails. The chaos (chaos.ts) carries the plan out; the verdict (verdict.ts) judges it.
 *
 * "Points of the run" are shares of the row count received by workers so far (their `message_received` log
 * lines, redeliveries and duplicates included): that clock moves with the work, however fast the run goes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { INPUT_PREFIX, INTERRUPTION_MARGIN_MS, OUTPUT_PREFIX } from '../../contracts';
import { seededRandom, seedNumber, type Random } from './random';

export interface SoakParameters {
  readonly rows: number;
  /** Share of rows written with a bad input, 0–100. */
  readonly badPercent: number;
  readonly killWorkers: number;
  /** Spot workers to interrupt as EC2 does (the notice in their instance metadata), at random moments. @default 0 */
  readonly interruptWorkers?: number;
  readonly seed: string;
}

/** The bad inputs the README and the bad-input corpus list, each with the reason its row must be FAILED with. */
export const BAD_INPUT_REASONS = {
  'missing-s3-path': /^s3_path is missing$/,
  'numeric-s3-path': /^s3_path must be a string, got number$/,
  'list-s3-path': /^s3_path must be a string, got object$/,
  'other-bucket': /^s3_path must be in bucket /,
  'wrong-prefix': /^s3_path must be under s3:\/\//,
  'output-prefix': /^s3_path must be under s3:\/\//,
  'missing-object': /^source object does not exist: s3:\/\//,
  'dot-dot-segment': /^s3_path has a ‘\.\.’ segment/,
  'non-s3-url': /^s3_path must start with s3:\/\//,
  'empty-rest': /^s3_path names no file under data\/input\//,
} as const satisfies Record<string, RegExp>;
export type BadInput = keyof typeof BAD_INPUT_REASONS;
export const BAD_INPUTS = Object.keys(BAD_INPUT_REASONS) as BadInput[];

/** Bad inputs a producer can fix and resubmit (FAILED → PENDING): upload the object, or write the right path. */
const FIXABLE: readonly BadInput[] = ['missing-object', 'wrong-prefix', 'missing-s3-path'];

export type ResubmissionKind =
  /** Another s3_path and a fresh request_token, written while the row is (most likely) still PENDING. */
  | 'new-path'
  /** The same s3_path, the object replaced with new content, and a fresh request_token. */
  | 'new-content';

export type ResubmissionMoment =
  /** At an early point of the run: the row's message is most likely still queued. */
  | 'queued'
  /**
   * The moment a worker's log says it started copying the row: while its job copies the first submission.
   * These rows' first objects are several MiB, so the copy lasts long enough for the resubmission to land.
   */
  | 'in-job';

export type DuplicateKind =
  /** The row's pipe message is sent a second time right after the row is written (at-least-once delivery). */
  | 'message-at-once'
  /** Sent again once the row is FINISHED: a late redelivery. */
  | 'message-after-finish';

export interface PlannedRow {
  readonly id: string;
  /** Its place in the insertion order. */
  readonly index: number;
  /** The input under data/input/: the row's object (for a bad row, the object a fix uploads). */
  readonly rest: string;
  readonly size: number;
  /** Written with a request_token (every resubmitted or fixed row has one; others at random, as producers vary). */
  readonly withToken: boolean;
  readonly bad?: BadInput;
  /** A bad row set right and back to PENDING once it is FAILED: it must end FINISHED. */
  readonly fix?: boolean;
  readonly resubmission?: {
    readonly kind: ResubmissionKind;
    readonly moment: ResubmissionMoment;
    /** For a `queued` resubmission: the point of the run when it is due. */
    readonly atReceived: number;
    readonly rest: string;
    readonly size: number;
  };
  readonly duplicate?: DuplicateKind;
  /** Submitted with another row's path ("the same path under two ids"): it has no object of its own. */
  readonly samePathAs?: string;
  /**
   * Written only once the kill of this index (the plan's order) has been carried out, so that work always
   * comes after a kill: the next kill, due from a point of the run, then always finds a worker taking a
   * message, however fast the workers went meanwhile.
   */
  readonly heldUntilKill?: number;
}

export interface PlannedKill {
  /**
   * The point of the run from which the kill is due; it hits the next worker seen taking a message. Before the
   * point the rows held for kills (PlannedRow.heldUntilKill) leave, so the rows written at first reach it.
   */
  readonly atReceived: number;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  /** Wait after that worker logs the message, so kills land at arbitrary points of its jobs. */
  readonly delayMs: number;
}

export interface PlannedInterruption {
  /** The point of the run from which it is due; it hits the next Spot worker seen taking a message. */
  readonly atReceived: number;
  /**
   * The notice: the worker's margin (worker/interruption.ts) plus up to 3 s, so the worker stops the jobs still
   * running moments after it sees the notice, and gives their rows back.
   */
  readonly noticeMs: number;
}

export interface SoakPlan {
  readonly parameters: SoakParameters;
  /** Prefix of every row id and input key of this seed, so runs with other seeds never collide. */
  readonly runId: string;
  readonly rows: readonly PlannedRow[];
  readonly kills: readonly PlannedKill[];
  readonly interruptions: readonly PlannedInterruption[];
  /** The point of the run when one orchestrator invocation is made to crash. */
  readonly tickCrashAtReceived: number;
}

/** What a row must end as when nothing goes wrong. */
export type ExpectedOutcome = { readonly status: 'FINISHED' } | { readonly status: 'FAILED'; readonly reason: RegExp };

/** Share of the rows resubmitted, duplicated by message, and submitted under a second id. */
const RESUBMITTED_SHARE = 0.03;
const DUPLICATED_SHARE = 0.03;
const SAME_PATH_SHARE = 0.01;

export function planSoak(parameters: SoakParameters): SoakPlan {
  validate(parameters);
  const random = seededRandom(parameters.seed);
  const runId = `soak-${seedNumber(parameters.seed).toString(36)}`;
  const count = parameters.rows;
  const badCount = Math.round((count * parameters.badPercent) / 100);

  // Bad rows anywhere in the order; kinds dealt round-robin from a shuffled list, so every kind shows up
  // once there are as many bad rows as kinds.
  const badIndexes = new Set(random.shuffle(range(count)).slice(0, badCount));
  const kinds = random.shuffle(BAD_INPUTS);
  let dealt = 0;
  const drafts = range(count).map((index) => {
    const bad = badIndexes.has(index) ? kinds[dealt++ % kinds.length] : undefined;
    return {
      id: `${runId}-${String(index).padStart(5, '0')}`,
      index,
      rest: inputRest(runId, index, random),
      size: inputSize(random),
      withToken: random.next() < 0.5,
      bad,
      fix: bad !== undefined && FIXABLE.includes(bad) && random.next() < 0.5 ? true : undefined,
    } as Mutable<PlannedRow>;
  });
  const fixable = drafts.filter((row) => row.bad && FIXABLE.includes(row.bad));
  if (fixable.length > 0 && !fixable.some((row) => row.fix)) random.pick(fixable).fix = true;

  // Resubmissions come from the later half of the order: early in the run those rows are still queued. Every
  // kind with every moment, in turn: queued new path, in-job new content, in-job new path, queued new content.
  const good = drafts.filter((row) => !row.bad);
  const laterHalf = random.shuffle(good.filter((row) => row.index >= count / 2));
  for (const [position, row] of laterHalf.slice(0, share(count, RESUBMITTED_SHARE)).entries()) {
    const kind: ResubmissionKind = position % 2 === 0 ? 'new-path' : 'new-content';
    const moment: ResubmissionMoment = position % 4 === 1 || position % 4 === 2 ? 'in-job' : 'queued';
    if (moment === 'in-job') row.size = random.integer(6 << 20, 10 << 20);
    row.resubmission = {
      kind,
      moment,
      atReceived: random.between(0, 0.3),
      rest: kind === 'new-path' ? `${row.rest}.resubmitted` : row.rest,
      size: inputSize(random),
    };
  }
  const untouched = () => random.shuffle(good.filter((row) => !row.resubmission && !row.duplicate && !row.samePathAs));
  for (const [position, row] of untouched().slice(0, share(count, DUPLICATED_SHARE)).entries()) {
    row.duplicate = position % 2 === 0 ? 'message-at-once' : 'message-after-finish';
  }
  // A second id for a path: the original must keep its content, or the two copies to one output could differ.
  const pairs = untouched();
  for (let pair = 0; pair < share(count, SAME_PATH_SHARE) && pairs.length >= 2 * pair + 2; pair++) {
    const [original, second] = [pairs[2 * pair], pairs[2 * pair + 1]];
    second.samePathAs = original.id;
    second.rest = original.rest;
  }
  for (const row of drafts) if (row.fix || row.resubmission) row.withToken = true;

  // One plain row held back per kill (as many as there are).
  const plain = drafts.filter((row) => !row.bad && !row.resubmission && !row.duplicate && !row.samePathAs);
  const held = Math.min(parameters.killWorkers, plain.length);
  const firstWritten = (count - held) / count;
  const signals = random.shuffle<PlannedKill['signal']>(['SIGKILL', 'SIGTERM']);
  const kills = range(parameters.killWorkers)
    .map((index) => ({
      atReceived: random.between(0.05, 0.85) * firstWritten,
      signal: signals[index] ?? random.pick(signals),
      delayMs: random.integer(0, 500),
    }))
    .sort((a, b) => a.atReceived - b.atReceived);
  const tickCrashAtReceived = random.between(0.1, 0.6);
  for (const [kill, row] of random.shuffle(plain).slice(0, held).entries()) row.heldUntilKill = kill;

  // Drawn last, from their own seed, so a plan without interruptions is the plan it always was.
  const spot = seededRandom(`${parameters.seed}/interruptions`);
  const interruptions = range(parameters.interruptWorkers ?? 0)
    .map(() => ({ atReceived: spot.between(0.05, 0.85), noticeMs: INTERRUPTION_MARGIN_MS + spot.integer(0, 3_000) }))
    .sort((a, b) => a.atReceived - b.atReceived);

  return { parameters, runId, rows: drafts, kills, interruptions, tickCrashAtReceived };
}

/** The row's s3_path attribute as first written (undefined: no attribute). */
export function initialS3Path(row: PlannedRow, bucketName: string): AttributeValue | undefined {
  const good = `s3://${bucketName}/${INPUT_PREFIX}${row.rest}`;
  switch (row.bad) {
    case undefined:
      return { S: good };
    case 'missing-s3-path':
      return undefined;
    case 'numeric-s3-path':
      return { N: String(row.index) };
    case 'list-s3-path':
      return { L: [{ S: good }] };
    case 'other-bucket':
      return { S: `s3://${bucketName}-elsewhere/${INPUT_PREFIX}${row.rest}` };
    case 'wrong-prefix':
      return { S: `s3://${bucketName}/data/elsewhere/${row.rest}` };
    case 'output-prefix':
      return { S: `s3://${bucketName}/${OUTPUT_PREFIX}${row.rest}` };
    case 'missing-object':
      return { S: good };
    case 'dot-dot-segment':
      return { S: `s3://${bucketName}/${INPUT_PREFIX}${row.rest.split('/')[0]}/../${row.rest}` };
    case 'non-s3-url':
      return { S: `https://${bucketName}.s3.amazonaws.com/${INPUT_PREFIX}${row.rest}` };
    case 'empty-rest':
      return { S: `s3://${bucketName}/${INPUT_PREFIX}` };
  }
}

/** Rows whose input object the soak uploads before writing them (bad rows have none; a second id shares one). */
export function hasOwnInput(row: PlannedRow): boolean {
  return row.bad === undefined && row.samePathAs === undefined;
}

/** The outcome a row must reach: FINISHED, or FAILED with its bad input's reason unless it is fixed. */
export function expectedOutcome(row: PlannedRow): ExpectedOutcome {
  return row.bad && !row.fix ? { status: 'FAILED', reason: BAD_INPUT_REASONS[row.bad] } : { status: 'FINISHED' };
}

/** The bytes of a row's input: `version` 0 first, 1 for a new-content resubmission. Reproducible from the seed. */
export function inputBody(plan: SoakPlan, rowId: string, version: number, size: number): Buffer {
  return seededRandom(`${plan.parameters.seed}/${rowId}/${version}`).bytes(size);
}

function inputRest(runId: string, index: number, random: Random): string {
  const folder = `${runId}/client_${index % 5}`;
  // Some keys with what naive CopySource encoding breaks on: spaces, unicode, '+', '%'.
  return random.next() < 0.15 ? `${folder}/report ${index} – café+50%.bin` : `${folder}/file-${index}.bin`;
}

/** Mostly small objects (moto copies in Python), a few of a megabyte or two. */
function inputSize(random: Random): number {
  return random.next() < 0.02 ? random.integer(1 << 20, 2 << 20) : random.integer(1, 32 << 10);
}

function share(count: number, fraction: number): number {
  return count === 0 ? 0 : Math.max(1, Math.round(count * fraction));
}

function range(length: number): number[] {
  return Array.from({ length }, (_, index) => index);
}

function validate({ rows, badPercent, killWorkers, interruptWorkers = 0, seed }: SoakParameters): void {
  if (!Number.isInteger(interruptWorkers) || interruptWorkers < 0) throw new Error(`interruptWorkers must be a whole number ≥ 0, got ${interruptWorkers}`);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a whole number ≥ 1, got ${rows}`);
  if (!(badPercent >= 0 && badPercent <= 100)) throw new Error(`badPercent must be between 0 and 100, got ${badPercent}`);
  if (!Number.isInteger(killWorkers) || killWorkers < 0) throw new Error(`killWorkers must be a whole number ≥ 0, got ${killWorkers}`);
  if (seed === '') throw new Error('seed must not be empty');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
