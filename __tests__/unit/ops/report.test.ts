import {
  formatQueuedEvents,
  formatRedrive,
  formatRetryAll,
  formatRowDetail,
  formatStatus,
  formatSubmitOutcome,
  mostRecentFailures,
  noEventsQueueMessage,
} from '../../../ops/report';
import type { SubmitTarget } from '../../../ops/submit-plan';

const target = (name: string): SubmitTarget => ({
  source: `./${name}`,
  localFile: `./${name}`,
  key: `data/input/${name}`,
  s3Path: `s3://b/data/input/${name}`,
});

describe('formatSubmitOutcome', () => {
  it('lists each new row and the total', () => {
    expect(formatSubmitOutcome({ submitted: [{ target: target('a'), id: 'id-a' }], notAttempted: [] })).toBe(
      'PENDING id-a s3://b/data/input/a\nsubmitted 1 of 1',
    );
  });

  it('says what was written, what failed and why, and what was not attempted', () => {
    const text = formatSubmitOutcome({
      submitted: [{ target: target('a'), id: 'id-a' }],
      failure: { target: target('b'), reason: 'row not written: AccessDenied', objectLeftBehind: true },
      notAttempted: [target('c')],
    });
    expect(text.split('\n')).toEqual([
      'PENDING id-a s3://b/data/input/a',
      'submitted 1 of 3; NOT submitted:',
      '  ./b: row not written: AccessDenied',
      '  s3://b/data/input/b was uploaded but has no row: delete it or submit it again',
      '  ./c: not attempted',
    ]);
  });
});

describe('mostRecentFailures', () => {
  it('orders by finished_at, newest first, rows without a time last, and keeps the limit', () => {
    const rows = [
      { id: 'old', finishedAt: '2026-01-01T00:00:00.000Z' },
      { id: 'none' },
      { id: 'new', finishedAt: '2026-03-01T00:00:00.000Z' },
      { id: 'mid', finishedAt: '2026-02-01T00:00:00.000Z' },
    ];
    expect(mostRecentFailures(rows, 3).map((row) => row.id)).toEqual(['new', 'mid', 'old']);
    expect(mostRecentFailures(rows, 10).map((row) => row.id)).toEqual(['new', 'mid', 'old', 'none']);
  });
});

describe('formatStatus', () => {
  it('shows every status, the queues and the failures with their reasons', () => {
    const text = formatStatus({
      counts: { PENDING: 2, FINISHED: 5, FAILED: 1 },
      queue: { visible: 2, inFlight: 1 },
      deadLetterQueue: { visible: 3, inFlight: 0 },
      recentFailures: [
        { id: 'r1', s3Path: 's3://b/data/input/x', reason: 'NoSuchKey', finishedAt: '2026-01-01T00:00:00Z', processor: 'scan' },
        { id: 'r0', s3Path: 's3://b/data/input/y', reason: 'old', finishedAt: '2025-12-31T00:00:00Z' },
      ],
    });
    expect(text.split('\n')).toEqual([
      'PENDING   2',
      'FINISHED  5',
      'FAILED    1',
      'queue: 2 waiting, 1 in flight',
      'dead-letter queue: 3 messages',
      'recent FAILED rows:',
      '  r1  2026-01-01T00:00:00Z  scan  s3://b/data/input/x  NoSuchKey',
      '  r0  2025-12-31T00:00:00Z  -  s3://b/data/input/y  old',
    ]);
  });
});

describe('formatRowDetail', () => {
  it('shows a finished row with its processor and every output key', () => {
    expect(
      formatRowDetail({
        id: 'r1',
        status: 'FINISHED',
        s3Path: 's3://b/data/input/x.pdf',
        processorRequested: 'scan',
        processedBy: 'scan',
        outputPath: 's3://b/data/output/x.pdf/',
        outputCount: 2,
        outputKeys: ['data/output/x.pdf/a.txt', 'data/output/x.pdf/b.txt'],
        finishedAt: '2026-01-01T00:00:00Z',
        workerInstanceId: 'i-1',
      }).split('\n'),
    ).toEqual([
      'id                  r1',
      'status              FINISHED',
      's3_path             s3://b/data/input/x.pdf',
      'processor           scan',
      'output_path         s3://b/data/output/x.pdf/',
      'output_count        2',
      'finished_at         2026-01-01T00:00:00Z',
      'worker_instance_id  i-1',
      'outputs:',
      '  data/output/x.pdf/a.txt',
      '  data/output/x.pdf/b.txt',
    ]);
  });

  it('points at the manifest when the row lists none, and tells a pending row\'s processor', () => {
    expect(formatRowDetail({ id: 'r2', status: 'FINISHED', outputManifest: 's3://b/data/output/x/_manifest.json' })).toContain(
      'outputs:\n  listed in s3://b/data/output/x/_manifest.json',
    );
    expect(formatRowDetail({ id: 'r3', status: 'PENDING', processorRequested: 'ocr' })).toContain('processor           ocr (requested)');
    expect(formatRowDetail({ id: 'r4', status: 'PENDING' })).toContain('processor           (the default)');
  });

  it("shows a chunk processor's chunk count beside its output count", () => {
    expect(formatRowDetail({ id: 'r5', status: 'FINISHED', processedBy: 'rag', outputCount: 2, chunkCount: 37 })).toContain(
      'output_count        2\nchunk_count         37',
    );
  });
});

describe('formatRetryAll and formatRedrive', () => {
  it('report counts and what was skipped or stayed behind', () => {
    expect(formatRetryAll({ retried: ['a'], skipped: ['b'] })).toBe(
      'PENDING a\nset 1 FAILED rows back to PENDING\nskipped 1 that were no longer FAILED: b',
    );
    expect(formatRedrive({ moved: 4, failed: 0 })).toBe('moved 4 messages from the dead-letter queue to the work queue');
    expect(formatRedrive({ moved: 4, failed: 1 })).toMatch(/; 1 could not be sent and stay in the dead-letter queue$/);
  });
});

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/rag-pipeline-prod-items';

describe('formatQueuedEvents and noEventsQueueMessage', () => {
  const itemEvent = (status: string, extra: Record<string, string>) => ({
    'detail-type': 'Item Status Changed',
    time: '2026-11-27T13:38:24Z',
    detail: { schema_version: 1, id: `row-${status}`, status, output_path: '', reason: '', ...extra },
  });
  const events = [
    { messageId: 'a', sentAt: 1, receiveCount: 1, event: itemEvent('FINISHED', { output_path: 's3://b/data/output/a.txt' }) },
    { messageId: 'b', sentAt: 2, receiveCount: 3, event: itemEvent('FAILED', { reason: 'input not found' }) },
    { messageId: 'c', sentAt: Date.parse('2026-11-27T13:40:00Z'), receiveCount: 1, event: 'plain text' },
  ];

  it('prints one line per event: time, status, id, then the output path or the reason', () => {
    expect(formatQueuedEvents(events, false).split('\n')).toEqual([
      '2026-11-27T13:38:24Z  FINISHED  row-FINISHED  s3://b/data/output/a.txt',
      '2026-11-27T13:38:24Z  FAILED  row-FAILED  input not found',
      '2026-11-27T13:40:00.000Z  (not an item event) "plain text"',
    ]);
  });

  it('prints each whole event as one JSON line with json', () => {
    expect(formatQueuedEvents(events, true).split('\n').map((line) => JSON.parse(line))).toEqual(events.map(({ event }) => event));
  });

  it('says how to get an outcome queue, or how to subscribe on the bus', () => {
    const message = noEventsQueueMessage({ eventBusName: 'rag-pipeline-prod-events', tableName: 'rag-pipeline-prod-items', tableArn: TABLE_ARN });

    expect(message).toContain('PIPELINE_EVENTS_QUEUE=true');
    expect(message).toContain('a rule on the rag-pipeline-prod-events bus');
    expect(message).toContain('"detail":{"status":["FINISHED","FAILED"]}');
  });

  // docs/events.md: deployments may share the default bus; only a rule that matches `resources` sees its own table's rows.
  it('prints a pattern that matches only this table', () => {
    const message = noEventsQueueMessage({ tableName: 'rag-pipeline-prod-items', tableArn: TABLE_ARN });
    const pattern = JSON.parse(/the pattern (\{.*\}) and an SQS target/.exec(message)![1]);

    expect(pattern).toEqual({
      source: ['rag-file-pipeline'],
      'detail-type': ['Item Status Changed'],
      resources: [TABLE_ARN],
      detail: { status: ['FINISHED', 'FAILED'] },
    });
  });

  it('names the table in a placeholder ARN when the outputs file predates table_arn', () => {
    expect(noEventsQueueMessage({ tableName: 'rag-pipeline-prod-items', region: 'eu-west-1' })).toContain(
      '"resources":["arn:aws:dynamodb:eu-west-1:<account>:table/rag-pipeline-prod-items"]',
    );
  });
});
