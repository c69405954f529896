import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ItemStatus } from '../../../../contracts';
import {
  BAD_INPUTS,
  BAD_INPUT_REASONS,
  expectedOutcome,
  hasOwnInput,
  initialS3Path,
  inputBody,
  planSoak,
  type BadInput,
  type SoakParameters,
} from '../../../../local/soak/plan';
import { decide } from '../../../../worker/outcome';
import { INTERRUPTION_MARGIN_MS } from '../../../../contracts';

const BUCKET = 'pipeline-bucket';
const DEFAULTS: SoakParameters = { rows: 1000, badPercent: 5, killWorkers: 3, seed: '20261127' };

describe('planSoak', () => {
  it('decides everything from the seed', () => {
    expect(planSoak(DEFAULTS)).toEqual(planSoak(DEFAULTS));
    expect(planSoak({ ...DEFAULTS, seed: 'other' }).rows.map((row) => row.bad)).not.toEqual(planSoak(DEFAULTS).rows.map((row) => row.bad));
  });

  it('writes the share of bad rows asked for, every kind of bad input among them', () => {
    const plan = planSoak(DEFAULTS);
    const bad = plan.rows.filter((row) => row.bad);

    expect(bad).toHaveLength(50);
    expect(new Set(bad.map((row) => row.bad))).toEqual(new Set(BAD_INPUTS));
  });

  it('deals distinct kinds first, so a small soak still mixes them', () => {
    const plan = planSoak({ rows: 60, badPercent: 10, killWorkers: 2, seed: 'jest' });
    const kinds = plan.rows.flatMap((row) => (row.bad ? [row.bad] : []));

    expect(kinds).toHaveLength(6);
    expect(new Set(kinds).size).toBe(6);
  });

  it('resubmits both ways and at both moments in a small soak too', () => {
    const resubmitted = planSoak({ rows: 60, badPercent: 10, killWorkers: 2, seed: 'jest' }).rows.filter((row) => row.resubmission);

    expect(resubmitted.map(({ resubmission }) => `${resubmission!.kind} ${resubmission!.moment}`).sort()).toEqual([
      'new-content in-job',
      'new-path queued',
    ]);
  });

  it('fixes only bad inputs a producer can fix, at least one', () => {
    const fixed = planSoak(DEFAULTS).rows.filter((row) => row.fix);

    expect(fixed.length).toBeGreaterThan(0);
    for (const row of fixed) expect(['missing-object', 'wrong-prefix', 'missing-s3-path']).toContain(row.bad);
  });

  it('resubmits good rows from the later half, early in the run, both ways, each with a token', () => {
    const resubmitted = planSoak(DEFAULTS).rows.filter((row) => row.resubmission);

    expect(resubmitted).toHaveLength(30);
    expect(new Set(resubmitted.map(({ resubmission }) => `${resubmission!.kind} ${resubmission!.moment}`))).toEqual(
      new Set(['new-path queued', 'new-path in-job', 'new-content queued', 'new-content in-job']),
    );
    for (const row of resubmitted) {
      expect(row.bad).toBeUndefined();
      expect(row.index).toBeGreaterThanOrEqual(500);
      expect(row.resubmission!.atReceived).toBeLessThan(0.3);
      expect(row.withToken).toBe(true);
      expect(row.resubmission!.rest === row.rest).toBe(row.resubmission!.kind === 'new-content');
    }
    // A first object of several MiB: its copy lasts long enough for an in-job resubmission to land in it.
    const inJob = resubmitted.filter((row) => row.resubmission!.moment === 'in-job');
    expect(inJob.length).toBeGreaterThan(0);
    for (const row of inJob) expect(row.size).toBeGreaterThanOrEqual(6 << 20);
  });

  it('duplicates messages at once and after the finish, and submits some paths under a second id', () => {
    const plan = planSoak(DEFAULTS);
    const duplicated = plan.rows.filter((row) => row.duplicate);
    const seconds = plan.rows.filter((row) => row.samePathAs);

    expect(duplicated).toHaveLength(30);
    expect(new Set(duplicated.map((row) => row.duplicate))).toEqual(new Set(['message-at-once', 'message-after-finish']));
    expect(seconds).toHaveLength(10);
    for (const second of seconds) {
      const original = plan.rows.find((row) => row.id === second.samePathAs)!;
      expect(second.rest).toBe(original.rest);
      // The original keeps its content: two copies to one output must not differ.
      expect(original.resubmission).toBeUndefined();
      expect(original.bad).toBeUndefined();
      expect(hasOwnInput(second)).toBe(false);
      expect(hasOwnInput(original)).toBe(true);
    }
  });

  it('kills workers with both signals, in order of the run, within its middle', () => {
    const { kills, tickCrashAtReceived } = planSoak(DEFAULTS);

    expect(kills).toHaveLength(3);
    expect(new Set(kills.map((kill) => kill.signal))).toEqual(new Set(['SIGKILL', 'SIGTERM']));
    expect(kills.map((kill) => kill.atReceived)).toEqual([...kills.map((kill) => kill.atReceived)].sort((a, b) => a - b));
    // Within the middle of the rows written first (all but the 3 held for the kills).
    for (const kill of kills) {
      expect(kill.atReceived).toBeGreaterThanOrEqual(0.05 * 0.997);
      expect(kill.atReceived).toBeLessThan(0.85 * 0.997);
    }
    expect(tickCrashAtReceived).toBeGreaterThanOrEqual(0.1);
    expect(tickCrashAtReceived).toBeLessThan(0.6);
    expect(new Set(planSoak({ ...DEFAULTS, killWorkers: 2 }).kills.map((kill) => kill.signal))).toEqual(new Set(['SIGKILL', 'SIGTERM']));
  });

  it('holds one plain row back per kill, written once that kill is done, so every kill finds work after the last', () => {
    const plan = planSoak(DEFAULTS);
    const held = plan.rows.filter((row) => row.heldUntilKill !== undefined);

    expect(held.map((row) => row.heldUntilKill).sort()).toEqual([0, 1, 2]);
    for (const row of held) {
      expect(row).toEqual(expect.not.objectContaining({ bad: expect.anything(), resubmission: expect.anything(), duplicate: expect.anything() }));
      expect(row.samePathAs).toBeUndefined();
      expect(expectedOutcome(row)).toEqual({ status: ItemStatus.FINISHED });
    }
    expect(planSoak({ ...DEFAULTS, killWorkers: 0 }).rows.filter((row) => row.heldUntilKill !== undefined)).toEqual([]);
  });

  it('gives each row a unique id and input key', () => {
    const plan = planSoak(DEFAULTS);
    const own = plan.rows.filter(hasOwnInput);

    expect(new Set(plan.rows.map((row) => row.id)).size).toBe(1000);
    expect(new Set(own.map((row) => row.rest)).size).toBe(own.length);
    expect(plan.rows.some((row) => / .*é.*\+.*%/.test(row.rest))).toBe(true);
  });

  it.each([
    { case: 'no rows', parameters: { rows: 0 }, message: 'rows must be a whole number ≥ 1, got 0' },
    { case: 'a share above 100', parameters: { badPercent: 101 }, message: 'badPercent must be between 0 and 100, got 101' },
    { case: 'a fractional kill count', parameters: { killWorkers: 1.5 }, message: 'killWorkers must be a whole number ≥ 0, got 1.5' },
    { case: 'an empty seed', parameters: { seed: '' }, message: 'seed must not be empty' },
  ])('refuses $case', ({ parameters, message }) => {
    expect(() => planSoak({ ...DEFAULTS, ...parameters })).toThrow(message);
  });
});

describe('bad inputs', () => {
  const plan = planSoak(DEFAULTS);
  const rowOf = (kind: BadInput) => plan.rows.find((row) => row.bad === kind)!;

  // The row as the worker reads it, through the worker's own decision: the planned reason is the worker's.
  it.each(BAD_INPUTS.filter((kind) => kind !== 'missing-object'))('%s is refused by the worker with its reason', (kind) => {
    const s3Path = initialS3Path(rowOf(kind), BUCKET);
    const row = unmarshall({ id: { S: 'r' }, status: { S: ItemStatus.PENDING }, ...(s3Path ? { s3_path: s3Path } : {}) });

    const decision = decide(row, BUCKET, { defaultProcessor: 'copy', names: () => ['copy'] });

    expect(decision.action).toBe('fail');
    expect(decision.action === 'fail' && decision.reason).toMatch(BAD_INPUT_REASONS[kind]);
  });

  it('points a missing object at a valid path, so the failure comes from S3', () => {
    const row = rowOf('missing-object');
    expect(initialS3Path(row, BUCKET)).toEqual({ S: `s3://${BUCKET}/data/input/${row.rest}` });
    expect(hasOwnInput(row)).toBe(false);
  });

  it('expects FAILED with the reason, unless the row is fixed', () => {
    const failing = plan.rows.find((row) => row.bad && !row.fix)!;
    const fixed = plan.rows.find((row) => row.fix)!;
    const good = plan.rows.find((row) => !row.bad)!;

    expect(expectedOutcome(failing)).toEqual({ status: 'FAILED', reason: BAD_INPUT_REASONS[failing.bad!] });
    expect(expectedOutcome(fixed)).toEqual({ status: 'FINISHED' });
    expect(expectedOutcome(good)).toEqual({ status: 'FINISHED' });
  });
});

describe('inputBody', () => {
  it('is reproducible per row and version', () => {
    const plan = planSoak({ ...DEFAULTS, rows: 10 });
    expect(inputBody(plan, 'a', 0, 100)).toEqual(inputBody(plan, 'a', 0, 100));
    expect(inputBody(plan, 'a', 1, 100)).not.toEqual(inputBody(plan, 'a', 0, 100));
    expect(inputBody(plan, 'a', 0, 5)).toHaveLength(5);
  });
});

describe('Spot interruptions', () => {
  it('plans the asked number, in run order, each notice just past the worker’s margin', () => {
    const { interruptions } = planSoak({ ...DEFAULTS, interruptWorkers: 3 });

    expect(interruptions).toHaveLength(3);
    expect([...interruptions].sort((a, b) => a.atReceived - b.atReceived)).toEqual(interruptions);
    for (const { atReceived, noticeMs } of interruptions) {
      expect(atReceived).toBeGreaterThanOrEqual(0.05);
      expect(atReceived).toBeLessThan(0.85);
      expect(noticeMs).toBeGreaterThanOrEqual(INTERRUPTION_MARGIN_MS);
      expect(noticeMs).toBeLessThan(INTERRUPTION_MARGIN_MS + 3_000);
    }
  });

  it('leaves the rest of a seed’s plan as it was', () => {
    const without = planSoak(DEFAULTS);
    const withInterruptions = planSoak({ ...DEFAULTS, interruptWorkers: 2 });

    expect(without.interruptions).toEqual([]);
    expect({ ...withInterruptions, parameters: DEFAULTS, interruptions: [] }).toEqual(without);
  });

  it('refuses a fractional count', () => {
    expect(() => planSoak({ ...DEFAULTS, interruptWorkers: 0.5 })).toThrow('interruptWorkers must be a whole number ≥ 0, got 0.5');
  });
});
