import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { eventsInLogs, rowIdOfBody, workerTrails } from '../../../../local/soak/observe';
import type { PlannedRow } from '../../../../local/soak/plan';
import { countDuplicateCopies, exitCode, judgeRow, lostWriteInStream, summarize, type RowObservation, type RunFacts } from '../../../../local/soak/verdict';
import type { StreamChange } from '../../../../local/soak/observe';

const BUCKET = 'pipeline-bucket';
const GOOD: PlannedRow = { id: 'r1', index: 1, rest: 'a/b.bin', size: 10, withToken: true };
const BAD: PlannedRow = { ...GOOD, bad: 'dot-dot-segment' };
const INPUT = `s3://${BUCKET}/data/input/a/b.bin`;
const OUTPUT = `s3://${BUCKET}/data/output/a/b.bin`;

const row = (attributes: Record<string, string>): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries({ id: 'r1', ...attributes }).map(([name, value]) => [name, { S: value }]));
const seen = (attributes: Record<string, string> | undefined, extra: Partial<RowObservation> = {}): RowObservation => ({
  row: attributes && row(attributes),
  inDeadLetterQueue: false,
  ...extra,
});

describe('judgeRow', () => {
  it.each([
    {
      case: 'FINISHED, its own output, identical',
      planned: GOOD,
      seen: seen({ status: 'FINISHED', s3_path: INPUT, output_path: OUTPUT }, { output: 'identical' }),
      expected: { class: 'finished', unexpected: false },
    },
    {
      case: 'FINISHED, the output differs',
      planned: GOOD,
      seen: seen({ status: 'FINISHED', s3_path: INPUT, output_path: OUTPUT }, { output: 'differs' }),
      expected: { class: 'differing', detail: 'output differs' },
    },
    {
      case: 'FINISHED, no output object',
      planned: GOOD,
      seen: seen({ status: 'FINISHED', s3_path: INPUT, output_path: OUTPUT }, { output: 'missing' }),
      expected: { class: 'differing', detail: 'output missing' },
    },
    {
      case: "FINISHED with an earlier submission's output (a late outcome on a resubmitted row)",
      planned: GOOD,
      seen: seen({ status: 'FINISHED', s3_path: `s3://${BUCKET}/data/input/a/new.bin`, output_path: OUTPUT }, { output: 'identical' }),
      expected: { class: 'lost', detail: expect.stringContaining('not the output of its s3_path') },
    },
    {
      case: 'FINISHED, planned to fail',
      planned: { ...GOOD, bad: 'missing-object' } as PlannedRow,
      seen: seen({ status: 'FINISHED', s3_path: INPUT, output_path: OUTPUT }, { output: 'identical' }),
      expected: { class: 'finished', unexpected: true, detail: 'planned to end FAILED' },
    },
    {
      case: 'FAILED with the planned reason',
      planned: BAD,
      seen: seen({ status: 'FAILED', failure_reason: 's3_path has a ‘..’ segment: ‘…’' }),
      expected: { class: 'failed', unexpected: false },
    },
    {
      case: 'FAILED with another reason than planned',
      planned: BAD,
      seen: seen({ status: 'FAILED', failure_reason: 'gave up after 5 receives, last error: SlowDown' }),
      expected: { class: 'failed', unexpected: true, detail: expect.stringContaining('reason should match') },
    },
    {
      case: 'FAILED, planned to finish',
      planned: GOOD,
      seen: seen({ status: 'FAILED', failure_reason: 'access denied: s3://…' }),
      expected: { class: 'failed', unexpected: true, detail: 'planned to end FINISHED' },
    },
    { case: 'FAILED without a reason', planned: BAD, seen: seen({ status: 'FAILED' }), expected: { class: 'lost', detail: 'FAILED without a reason' } },
    { case: 'FAILED with a blank reason', planned: BAD, seen: seen({ status: 'FAILED', failure_reason: ' ' }), expected: { class: 'lost' } },
    {
      case: 'PENDING, its message in the DLQ',
      planned: GOOD,
      seen: seen({ status: 'PENDING', s3_path: INPUT }, { inDeadLetterQueue: true }),
      expected: { class: 'dead-lettered', unexpected: false },
    },
    { case: 'PENDING, nothing anywhere', planned: GOOD, seen: seen({ status: 'PENDING', s3_path: INPUT }), expected: { class: 'stuck' } },
    { case: 'not in the table', planned: GOOD, seen: seen(undefined), expected: { class: 'lost', detail: 'the row is not in the table' } },
    { case: 'a status the pipeline never writes', planned: GOOD, seen: seen({ status: 'pending' }), expected: { class: 'lost' } },
  ])('$case', ({ planned, seen: observation, expected }) => {
    expect(judgeRow(planned, observation, BUCKET, true)).toMatchObject(expected);
  });

  it('calls a PENDING row still queued when the run gave up pending-in-queue, not stuck', () => {
    expect(judgeRow(GOOD, seen({ status: 'PENDING', s3_path: INPUT }), BUCKET, false)).toMatchObject({ class: 'pending-in-queue' });
  });
});

describe('lostWriteInStream', () => {
  const image = (status: string, token: string) => row({ status, request_token: token, s3_path: INPUT });
  const change = (sequenceNumber: string, oldImage: ReturnType<typeof image> | undefined, newImage: ReturnType<typeof image>): StreamChange => ({
    sequenceNumber,
    eventName: oldImage ? 'MODIFY' : 'INSERT',
    ...(oldImage ? { oldImage } : {}),
    newImage,
  });

  it('finds nothing in a chain where each record replaces what the previous one left', () => {
    expect(
      lostWriteInStream([
        change('1', undefined, image('PENDING', 'token-1')),
        change('2', image('PENDING', 'token-1'), image('PENDING', 'token-2')),
        // The same attributes in another order are the same item.
        change('3', { ...row({ s3_path: INPUT }), ...row({ request_token: 'token-2', status: 'PENDING' }) }, image('FINISHED', 'token-2')),
      ]),
    ).toBeUndefined();
    expect(lostWriteInStream([])).toBeUndefined();
    // moto's two INSERT records for an item an UpdateItem creates, the first with the key only.
    expect(lostWriteInStream([{ sequenceNumber: '1', eventName: 'INSERT', newImage: row({}) }, change('2', undefined, image('PENDING', 't'))])).toBeUndefined();
  });

  it("finds moto's lost update: two records replacing the same item", () => {
    // What moto 5.2.5 wrote when a worker's conditional UpdateItem raced a resubmission's PutItem.
    const stream = [
      change('10', undefined, image('PENDING', 'token-1')),
      change('11', image('PENDING', 'token-1'), image('PENDING', 'token-2')),
      change('12', image('PENDING', 'token-1'), image('FINISHED', 'token-1')),
    ];

    expect(lostWriteInStream(stream)).toBe(
      'stream record 12 (MODIFY PENDING/token-1 → FINISHED/token-1) replaced an item the previous record (11) had already replaced with PENDING/token-2',
    );
  });

  it('turns a stuck row with such a stream into an emulator-lost-write, and leaves explained rows alone', () => {
    const lostWrite = 'stream record 12 …';
    expect(judgeRow(GOOD, seen({ status: 'PENDING', s3_path: INPUT }, { lostWrite }), BUCKET, true)).toMatchObject({
      class: 'emulator-lost-write',
      detail: `the emulator lost a write: ${lostWrite}`,
    });
    expect(judgeRow(GOOD, seen({ status: 'PENDING', s3_path: INPUT }, { lostWrite, inDeadLetterQueue: true }), BUCKET, true)).toMatchObject({
      class: 'dead-lettered',
    });
  });
});

describe('summarize and exitCode', () => {
  const facts: RunFacts = {
    seed: 's',
    mode: 'copy',
    commandsInterrupted: 0,
    instancesLeft: 0,
    commandsLeftRunning: 0,
    duplicateCopies: 2,
    planned: [GOOD, BAD],
    done: { fixed: 0, resubmitted: 1, resubmissionsCaughtInJob: 1, duplicateMessages: 3 },
    kills: { SIGKILL: 1, SIGTERM: 1, skipped: 0 },
    interruptions: { notices: 2, skipped: 0 },
    orchestrator: { ticks: 10, failed: 1, recovered: true },
    wallSeconds: 12.4,
  };
  const verdicts = [judgeRow(GOOD, seen({ status: 'FINISHED', s3_path: INPUT, output_path: OUTPUT }, { output: 'identical' }), BUCKET, true)];

  it('starts with the interface keys, in order', () => {
    const summary = summarize(verdicts, facts);

    expect(Object.keys(summary).slice(0, 10)).toEqual([
      'rows',
      'finished',
      'failed',
      'dead_lettered',
      'stuck_pending',
      'lost',
      'differing_outputs',
      'instances_left',
      'duplicate_copies',
      'commands_left_running',
    ]);
    expect(summary.emulator_lost_writes).toBe(0);
    expect(summary).toMatchObject({ rows: 1, finished: 1, duplicate_copies: 2, bad_rows: 1, wall_seconds: 12 });
    expect(exitCode(summary)).toBe(0);
  });

  it.each([
    { case: 'a lost row', change: { lost: 1 } },
    { case: 'a stuck row', change: { stuck_pending: 1 } },
    { case: 'a differing output', change: { differing_outputs: 1 } },
    { case: 'a write the emulator lost', change: { emulator_lost_writes: 1 } },
    { case: 'an instance left running', change: { instances_left: 1 } },
    { case: 'a command left running', change: { commands_left_running: 1 } },
    { case: 'an unexpected outcome', change: { unexpected_outcomes: 1 } },
    { case: 'rows still queued at the timeout', change: { pending_in_queue: 1 } },
    { case: 'no recovery from the failed tick', change: { orchestrator: { ticks: 3, failed: 1, recovered: false } } },
    { case: 'an interrupted row that ended FAILED or dead-lettered', change: { interruptions: { notices: 1, skipped: 0, rows: 1, rows_failed: 1 } } },
  ])('fails on $case', ({ change }) => {
    expect(exitCode({ ...summarize(verdicts, facts), ...change })).toBe(1);
  });

  it('passes with dead-lettered rows and duplicate copies', () => {
    expect(exitCode({ ...summarize(verdicts, facts), dead_lettered: 2, duplicate_copies: 9 })).toBe(0);
  });
});

describe('interrupted rows', () => {
  /** The observation with the row's `interruptions` count (a number attribute). */
  const interrupted = (observation: RowObservation, count: number): RowObservation => ({
    ...observation,
    row: { ...observation.row!, interruptions: { N: String(count) } },
  });
  const facts: RunFacts = {
    seed: 's',
    mode: 'copy',
    commandsInterrupted: 0,
    instancesLeft: 0,
    commandsLeftRunning: 0,
    duplicateCopies: 0,
    planned: [GOOD],
    done: { fixed: 0, resubmitted: 0, resubmissionsCaughtInJob: 0, duplicateMessages: 0 },
    kills: { SIGKILL: 0, SIGTERM: 0, skipped: 0 },
    interruptions: { notices: 1, skipped: 0 },
    orchestrator: { ticks: 1, failed: 0, recovered: false },
    wallSeconds: 1,
  };

  it('counts the rows whose work an interruption gave back, and passes when they ended as planned', () => {
    const verdict = judgeRow(GOOD, interrupted(seen({ status: 'FINISHED', s3_path: INPUT, output_path: OUTPUT }, { output: 'identical' }), 2), BUCKET, true);

    expect(verdict).toMatchObject({ class: 'finished', interruptions: 2 });
    const summary = summarize([verdict], facts);
    expect(summary.interruptions).toEqual({ notices: 1, skipped: 0, rows: 1, rows_failed: 0 });
    expect(exitCode(summary)).toBe(0);
  });

  it.each<{ case: string; status: string; extra: Record<string, string>; observation: Partial<RowObservation> }>([
    { case: 'FAILED though planned to finish', status: 'FAILED', extra: { failure_reason: 'gave up after 5 receives, last error: aborted' }, observation: {} },
    { case: 'dead-lettered', status: 'PENDING', extra: {}, observation: { inDeadLetterQueue: true } },
  ])('fails when an interrupted row ended $case: an interruption alone must never cause that', ({ status, extra, observation }) => {
    const verdict = judgeRow(GOOD, interrupted(seen({ status, s3_path: INPUT, ...extra }, observation), 1), BUCKET, true);

    const summary = summarize([verdict], facts);
    expect(summary.interruptions.rows_failed).toBe(1);
    expect(exitCode(summary)).toBe(1);
  });
});

describe('countDuplicateCopies', () => {
  it("counts copies beyond the first per row and source, only the soak's rows", () => {
    const copies = [
      { itemId: 'a', sourceKey: 'data/input/a' },
      { itemId: 'a', sourceKey: 'data/input/a' },
      { itemId: 'a', sourceKey: 'data/input/a' },
      { itemId: 'a', sourceKey: 'data/input/a2' },
      { itemId: 'b', sourceKey: 'data/input/b' },
      { itemId: 'other', sourceKey: 'data/input/x' },
      { itemId: 'other', sourceKey: 'data/input/x' },
    ];
    expect(countDuplicateCopies(copies, new Set(['a', 'b']))).toBe(2);
  });
});

describe('reading what the workers left', () => {
  it('finds the row id in a pipe message, and none in anything else', () => {
    expect(rowIdOfBody(JSON.stringify({ dynamodb: { Keys: { id: { S: 'r1' } } } }))).toBe('r1');
    expect(rowIdOfBody(JSON.stringify({ dynamodb: { Keys: { id: { N: '1' } } } }))).toBeUndefined();
    expect(rowIdOfBody('{"eventName": ')).toBeUndefined();
    expect(rowIdOfBody(undefined)).toBeUndefined();
  });

  it("gathers a row's trail: its lines, and the lines naming a message that carried it, from every worker", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soak-trails-'));
    try {
      const [first, second] = [path.join(dir, 'a.log'), path.join(dir, 'b.log')];
      const lines = {
        received: JSON.stringify({ event: 'message_received', message_id: 'm1', item_id: 'r1' }),
        other: JSON.stringify({ event: 'message_received', message_id: 'm2', item_id: 'r2' }),
        released: JSON.stringify({ event: 'message_released', message_id: 'm1' }),
        finished: JSON.stringify({ event: 'item_finished', message_id: 'm1', item_id: 'r1' }),
      };
      writeFileSync(first, [lines.received, lines.other, 'not json', lines.released].join('\n'));
      writeFileSync(second, lines.finished);

      const trails = workerTrails(
        [
          { instanceId: 'i-1', logPath: first },
          { instanceId: 'i-2', logPath: second },
        ],
        new Set(['r1']),
      );

      expect([...trails]).toEqual([['r1', [`i-1 ${lines.received}`, `i-1 ${lines.released}`, `i-2 ${lines.finished}`]]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads one event from worker logs, skipping other lines and a line cut by a kill', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soak-logs-'));
    try {
      const log = path.join(dir, 'sqs_worker.logs');
      writeFileSync(
        log,
        [
          JSON.stringify({ event: 'processing_started', item_id: 'a', source_key: 'data/input/a' }),
          JSON.stringify({ event: 'processing_finished', item_id: 'a', source_key: 'data/input/a', bytes: 3 }),
          'node: some stderr line',
          JSON.stringify({ event: 'processing_finished', item_id: 'b', source_key: 'data/input/b' }),
          JSON.stringify({ event: 'item_resubmitted', item_id: 'b', read: 1 }),
          '{"event":"processing_finished","item_id":"c","sour',
        ].join('\n'),
      );

      expect(eventsInLogs([log, path.join(dir, 'never-booted.logs')], 'processing_finished')).toEqual([
        { itemId: 'a', sourceKey: 'data/input/a' },
        { itemId: 'b', sourceKey: 'data/input/b' },
      ]);
      expect(eventsInLogs([log], 'item_resubmitted')).toEqual([{ itemId: 'b' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
