import { randomBytes } from 'node:crypto';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ItemAttribute, ItemStatus, LOGS_PREFIX } from '../../../contracts';
import type { LocalPipeline } from '../../../local/pipeline';
import { readRow, waitForTerminalRows } from '../../../local/cli/rows';
import { BAD_INPUT_REASONS } from '../../../local/soak/plan';
import { runSoak } from '../../../local/soak/run';
import {
  cleanPipeline,
  instanceState,
  listKeys,
  output,
  putInput,
  putRow,
  queueDepth,
  readOutput,
  startPipelineForTest,
  waitFor,
} from './support';

/**
 * The whole pipeline on moto, as `npm run local` runs it: the stack applied with terraform, the pipe,
 * the schedule invoking the real orchestrator and the real worker bundle run per emulated instance.
 * One deployment for the suite (MAX_WORKERS=1, the seed's behaviour); the tests clean up after themselves.
 */
jest.setTimeout(300_000);

let pipeline: LocalPipeline | undefined;
const running = () => {
  if (!pipeline) throw new Error('the local pipeline did not start');
  return pipeline;
};

beforeAll(async () => {
  pipeline = await startPipelineForTest({ maxWorkers: 1 });
}, 420_000);

afterEach(async () => {
  if (pipeline) await cleanPipeline(pipeline);
});

afterAll(async () => {
  await pipeline?.stop();
}, 60_000);

it("runs the seed's flow: FINISHED, identical output, the worker's log in S3, the instance terminated when idle", async () => {
  const p = running();
  const body = `seed flow ${randomBytes(8).toString('hex')}\n`;
  const s3Path = await putInput(p, 'client_1/test_file_1.txt', body);

  await putRow(p, { id: 'test1', status: ItemStatus.PENDING, s3_path: s3Path });

  const [row] = await waitForTerminalRows(p.clients.dynamodb, output(p, 'table_name'), ['test1'], { timeoutMs: 120_000 });
  expect(row.status).toBe(ItemStatus.FINISHED);
  expect(row.outputPath).toBe(`s3://${output(p, 'bucket_name')}/data/output/client_1/test_file_1.txt`);
  expect((await readOutput(p, 'client_1/test_file_1.txt')).toString()).toBe(body);

  const [worker] = p.instances.history();
  expect(worker).toBeDefined();
  // Idle for EC2_AUTOTERMINATE_MINUTES (0.25 here), the worker uploads its log and exits; the instance goes.
  await waitFor('the idle worker to exit', async () => worker.exit, 120_000);
  expect(worker.exit).toEqual({ code: 0, signal: null });
  await waitFor('the instance to be terminated', async () => (await instanceState(p, worker.instanceId)) === 'terminated', 30_000);

  const logKeys = await listKeys(p, `${LOGS_PREFIX}${worker.instanceId}/`);
  expect(logKeys.length).toBeGreaterThan(0);
  const log = await p.clients.s3.send(new GetObjectCommand({ Bucket: output(p, 'bucket_name'), Key: logKeys[0] }));
  expect(await log.Body!.transformToString()).toContain('test1');

  // The original design's "Check Logs": the orchestrator's launch is in its CloudWatch Logs group.
  const logGroupName = output(p, 'lambda_log_group_name');
  const launched = await waitFor(
    "the orchestrator's launch in its log group",
    async () => {
      const { events = [] } = await p.clients.logs.send(new FilterLogEventsCommand({ logGroupName, filterPattern: '"orchestrator.worker.launched"' }));
      return events.find((event) => event.message?.includes(worker.instanceId));
    },
    30_000,
  );
  expect(launched.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
});

it('fails bad rows with a reason, and never enqueues a lowercase status', async () => {
  const p = running();
  const bucket = output(p, 'bucket_name');
  const tableName = output(p, 'table_name');
  // Inserted first: once the later rows are done, the pipe has read past this one.
  await putRow(p, { id: 'lowercase', status: 'pending', s3_path: await putInput(p, 'bad/lowercase.txt', 'x') });
  await putRow(p, { id: 'no-path', status: ItemStatus.PENDING });
  await putRow(p, { id: 'wrong-prefix', status: ItemStatus.PENDING, s3_path: `s3://${bucket}/data/elsewhere/a.txt` });
  await putRow(p, { id: 'other-bucket', status: ItemStatus.PENDING, s3_path: 's3://someone-elses-bucket/data/input/a.txt' });
  await putRow(p, { id: 'missing-object', status: ItemStatus.PENDING, s3_path: `s3://${bucket}/data/input/bad/missing.txt` });

  const rows = await waitForTerminalRows(p.clients.dynamodb, tableName, ['no-path', 'wrong-prefix', 'other-bucket', 'missing-object'], {
    timeoutMs: 120_000,
  });

  for (const row of rows) {
    expect({ id: row.id, status: row.status }).toEqual({ id: row.id, status: ItemStatus.FAILED });
    expect(row.failureReason).toEqual(expect.stringMatching(/\S/));
  }
  expect((await readRow(p.clients.dynamodb, tableName, 'lowercase')).status).toBe('pending');
  expect(await queueDepth(p, 'queue_url')).toBe(0);
  expect(await queueDepth(p, 'dlq_url')).toBe(0);
  expect(await listKeys(p, 'data/output/bad/')).toEqual([]);
});

it('finishes a FAILED row set back to PENDING once its object exists', async () => {
  const p = running();
  const tableName = output(p, 'table_name');
  const s3Path = `s3://${output(p, 'bucket_name')}/data/input/retry/late file.txt`;
  await putRow(p, { id: 'retry-1', status: ItemStatus.PENDING, s3_path: s3Path });
  const [failed] = await waitForTerminalRows(p.clients.dynamodb, tableName, ['retry-1'], { timeoutMs: 120_000 });
  expect(failed.status).toBe(ItemStatus.FAILED);

  await putInput(p, 'retry/late file.txt', 'arrived late\n');
  await p.clients.dynamodb.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { [ItemAttribute.id]: { S: 'retry-1' } },
      UpdateExpression: 'SET #status = :pending',
      ExpressionAttributeNames: { '#status': ItemAttribute.status },
      ExpressionAttributeValues: { ':pending': { S: ItemStatus.PENDING } },
    }),
  );

  await waitFor(
    'the resubmitted row to finish',
    async () => (await readRow(p.clients.dynamodb, tableName, 'retry-1')).status === ItemStatus.FINISHED,
    120_000,
  );
  expect((await readOutput(p, 'retry/late file.txt')).toString()).toBe('arrived late\n');
});

it('explains every row of a chaos soak: bad inputs, resubmissions, duplicates, a SIGKILL, a SIGTERM and a crashed tick', async () => {
  const p = running();

  // 60 rows, 6 of them bad (one of each of six kinds, one fixed and resubmitted once FAILED), 2 resubmitted
  // (one while queued, one while a worker copies it), 2 delivered twice, 1 path under a second id; one worker
  // SIGKILLed and one SIGTERMed as they take messages; one orchestrator invocation crashed (local/soak/).
  const report = await runSoak(p, { rows: 60, badPercent: 10, killWorkers: 2, seed: 'jest-soak', timeoutSeconds: 240 });

  const { summary } = report;
  expect(summary).toMatchObject({ rows: 60, lost: 0, stuck_pending: 0, differing_outputs: 0, instances_left: 0, unexpected_outcomes: 0, pending_in_queue: 0 });
  expect(summary.finished + summary.failed + summary.dead_lettered).toBe(60);
  for (const row of report.rows.filter((verdict) => verdict.status === ItemStatus.FAILED)) expect(row.reason).toMatch(/\S/);
  // Every bad row that was not fixed ended FAILED with its own reason; the fixed one ended FINISHED.
  const bad = report.plan.rows.filter((row) => row.bad);
  expect(new Set(bad.map((row) => row.bad)).size).toBe(6);
  for (const planned of bad) {
    const verdict = report.rows.find((row) => row.id === planned.id)!;
    if (planned.fix) expect(verdict).toMatchObject({ status: ItemStatus.FINISHED, class: 'finished' });
    else expect(verdict).toMatchObject({ status: ItemStatus.FAILED, reason: expect.stringMatching(BAD_INPUT_REASONS[planned.bad!]) });
  }
  // A dead-lettered row's message is in the work DLQ (the soak looked at it without taking it).
  expect(await queueDepth(p, 'dlq_url')).toBeGreaterThanOrEqual(summary.dead_lettered);
  // The chaos happened: both signals, the crash, and the orchestrator replaced the killed workers.
  expect(summary.kills).toEqual({ SIGKILL: 1, SIGTERM: 1, skipped: 0 });
  expect(report.kills.find((kill) => kill.signal === 'SIGKILL')?.exit).toEqual({ code: null, signal: 'SIGKILL' });
  // SIGTERM drains: in-flight jobs finish or are released, the log is uploaded, the worker exits 0.
  expect(report.kills.find((kill) => kill.signal === 'SIGTERM')?.exit).toEqual({ code: 0, signal: null });
  expect(report.workersStartedAfterFirstKill).toBeGreaterThan(0);
  expect(summary.orchestrator).toMatchObject({ failed: 1, recovered: true });
  expect(summary).toMatchObject({ fixed_rows: 1, resubmitted_rows: 2, duplicate_messages: 2, same_path_rows: 1 });
});
