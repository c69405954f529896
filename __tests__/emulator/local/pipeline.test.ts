import { randomBytes } from 'node:crypto';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ItemAttribute, ItemStatus, LOGS_PREFIX, OrchestratorLogEvent } from '../../../contracts';
import { demoCatalog, runDemo, summarizeDemo } from '../../../local/cli/demo';
import { readRow, waitForTerminalRows } from '../../../local/cli/rows';
import {
  instanceState,
  listKeys,
  output,
  putInput,
  putRow,
  liveWorkerInstances,
  queueDepth,
  readOutput,
  useLocalPipeline,
  subscribeProbe,
} from './support';
import { eventually } from '../../support/eventually';

/**
 * The whole pipeline on moto, as `npm run local` runs it: the stack applied with terraform, both pipes on the
 * stream, the real schedule (every 60 s, as `--tick-seconds 60`) and the wake queue invoking the real
 * orchestrator, and the real worker bundle run per emulated instance. One deployment for the suite
 * (MAX_WORKERS=1, the seed's behaviour, with the outcome queue); the tests clean up after themselves. The
 * chaos soak and the scale-out run on a deployment of their own with a fast schedule, in parallel with this
 * one (soak-and-scale-out.test.ts).
 */
jest.setTimeout(300_000);

/** The real schedule's rate: pickups well under it come from the event trigger. */
const TICK_SECONDS = 60;

// With the demo's command processors beside copy (the default): `npm run local -- --demo` deploys the same.
const running = useLocalPipeline({ maxWorkers: 1, eventsQueue: true }, { tickSeconds: TICK_SECONDS, processors: demoCatalog({}, {}) });

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
  // Idle for EC2_AUTOTERMINATE_MINUTES (TEST_AUTOTERMINATE_MINUTES), the worker uploads its log and exits; the instance goes.
  await eventually(async () => worker.exit, 120_000, 'the idle worker to exit');
  expect(worker.exit).toEqual({ code: 0, signal: null });
  await eventually(async () => (await instanceState(p, worker.instanceId)) === 'terminated', 30_000, 'the instance to be terminated');

  const logKeys = await listKeys(p, `${LOGS_PREFIX}${worker.instanceId}/`);
  expect(logKeys.length).toBeGreaterThan(0);
  const log = await p.clients.s3.send(new GetObjectCommand({ Bucket: output(p, 'bucket_name'), Key: logKeys[0] }));
  expect(await log.Body!.transformToString()).toContain('test1');

  // The original design's "Check Logs": the orchestrator's launch is in its CloudWatch Logs group.
  const logGroupName = output(p, 'lambda_log_group_name');
  const launched = await eventually(
    async () => {
      const { events = [] } = await p.clients.logs.send(new FilterLogEventsCommand({ logGroupName, filterPattern: `"${OrchestratorLogEvent.workerLaunched}"` }));
      return events.find((event) => event.message?.includes(worker.instanceId));
    },
    30_000,
    "the orchestrator's launch in its log group",
  );
  expect(launched.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
});

// Issue 13's bar on this machine, where an instance "boots" at once: with the real one-minute schedule, a row
// inserted while no worker runs is FINISHED within 15 s, because the wake queue starts the orchestrator.
it('picks up a row within seconds when no worker runs, well under the 60 s schedule', async () => {
  const p = running();
  const tableName = output(p, 'table_name');
  await eventually(async () => p.instances.running().length === 0 && (await liveWorkerInstances(p)).length === 0, 120_000, 'no worker running');
  const s3Path = await putInput(p, 'pickup/now.txt', 'right now\n');

  const insertedAt = Date.now();
  await putRow(p, { id: 'pickup', status: ItemStatus.PENDING, s3_path: s3Path });
  const [row] = await waitForTerminalRows(p.clients.dynamodb, tableName, ['pickup'], { timeoutMs: TICK_SECONDS * 1000, pollMs: 100 });
  const pickupMs = Date.now() - insertedAt;

  expect(row.status).toBe(ItemStatus.FINISHED);
  expect(pickupMs).toBeLessThanOrEqual(15_000);
  // The worker that finished it was launched by a run the wake queue started, not by the schedule.
  const { Item } = await p.clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { [ItemAttribute.id]: { S: 'pickup' } } }));
  const instanceId = Item?.[ItemAttribute.workerInstanceId]?.S;
  expect(instanceId).toMatch(/^i-/);
  const logGroupName = output(p, 'lambda_log_group_name');
  const launchingRun = await eventually(
    async () => {
      const { events = [] } = await p.clients.logs.send(new FilterLogEventsCommand({ logGroupName, filterPattern: `"${OrchestratorLogEvent.tickCompleted}"` }));
      return events.map((event) => JSON.parse(event.message!)).find((line) => line.launchedInstanceIds?.includes(instanceId));
    },
    30_000,
    'the run that launched the worker in the log group',
  );
  expect(launchingRun).toMatchObject({ trigger: 'wake', wakeMessages: expect.any(Number) });
});

// Issue 16: a rule with an SQS target receives exactly one event per outcome (and one per row entering
// PENDING), and none for an update that keeps a row PENDING or an edit that keeps any status.
it('publishes one event per status change to a rule with an SQS target, none for PENDING→PENDING or unrelated edits', async () => {
  const p = running();
  const tableName = output(p, 'table_name');
  const bucket = output(p, 'bucket_name');
  const probe = await subscribeProbe(p, 'events-probe');
  const setNote = (id: string, condition?: string) =>
    p.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [ItemAttribute.id]: { S: id } },
        UpdateExpression: 'SET #note = :note',
        ...(condition ? { ConditionExpression: '#status = :status' } : {}),
        ExpressionAttributeNames: { '#note': 'note', ...(condition ? { '#status': ItemAttribute.status } : {}) },
        ExpressionAttributeValues: { ':note': { S: 'edited' }, ...(condition ? { ':status': { S: condition } } : {}) },
      }),
    );
  try {
    const goodPath = await putInput(p, 'events/good.txt', 'good\n');
    await putRow(p, { id: 'ev-good', status: ItemStatus.PENDING, s3_path: goodPath });
    await putRow(p, { id: 'ev-bad', status: ItemStatus.PENDING, s3_path: `s3://${bucket}/data/input/events/missing.txt` });
    // A PENDING→PENDING update: the conditional write proves the row was still PENDING. Were a worker ever
    // faster than this write, the next row would be edited instead.
    let editedWhilePending: string | undefined;
    for (let attempt = 1; editedWhilePending === undefined && attempt <= 5; attempt++) {
      const id = `ev-pending-edit-${attempt}`;
      await putRow(p, { id, status: ItemStatus.PENDING, s3_path: await putInput(p, `events/${id}.txt`, 'x\n') });
      try {
        await setNote(id, ItemStatus.PENDING);
        editedWhilePending = id;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    expect(editedWhilePending).toBeDefined();
    const ids = ['ev-good', 'ev-bad', editedWhilePending!];
    const rows = await waitForTerminalRows(p.clients.dynamodb, tableName, ids, { timeoutMs: 120_000 });
    expect(rows.map((row) => row.status)).toEqual([ItemStatus.FINISHED, ItemStatus.FAILED, ItemStatus.FINISHED]);

    // Unrelated edits of finished and failed rows.
    await setNote('ev-good', ItemStatus.FINISHED);
    await setNote('ev-bad', ItemStatus.FAILED);
    // The stream is read in order: once the sentinel's outcome is on the bus, so is anything the edits caused.
    await putRow(p, { id: 'ev-sentinel', status: ItemStatus.PENDING });
    await eventually(
      async () => {
        await probe.drain();
        return probe.received.some(({ detail }) => detail.id === 'ev-sentinel' && detail.status === ItemStatus.FAILED);
      },
      120_000,
      "the sentinel's FAILED event",
    );

    const statusesOf = (id: string) => probe.received.filter(({ detail }) => detail.id === id).map(({ detail }) => detail.status);
    expect(statusesOf('ev-good')).toEqual([ItemStatus.PENDING, ItemStatus.FINISHED]);
    expect(statusesOf('ev-bad')).toEqual([ItemStatus.PENDING, ItemStatus.FAILED]);
    expect(statusesOf(editedWhilePending!)).toEqual([ItemStatus.PENDING, ItemStatus.FINISHED]);
    const finished = probe.received.find(({ detail }) => detail.id === 'ev-good' && detail.status === ItemStatus.FINISHED)!;
    expect(finished).toMatchObject({ source: 'rag-file-pipeline', 'detail-type': 'Item Status Changed' });
    expect(finished.detail).toMatchObject({
      schema_version: 1,
      s3_path: goodPath,
      output_path: `s3://${bucket}/data/output/events/good.txt`,
      worker_instance_id: expect.stringMatching(/^i-/),
      finished_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const failed = probe.received.find(({ detail }) => detail.id === 'ev-bad' && detail.status === ItemStatus.FAILED)!;
    expect(failed.detail.reason).toEqual(expect.stringMatching(/\S/));

    // The stack's own outcome queue (PIPELINE_EVENTS_QUEUE) got the outcomes, and no PENDING event.
    const outcomes: Array<{ detail: { id: string; status: string } }> = [];
    await eventually(
      async () => {
        const { Messages = [] } = await p.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: output(p, 'events_queue_url'), MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) {
          outcomes.push(JSON.parse(message.Body!));
          await p.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: output(p, 'events_queue_url'), ReceiptHandle: message.ReceiptHandle }));
        }
        return Messages.length === 0 && outcomes.some(({ detail }) => detail.id === 'ev-sentinel');
      },
      60_000,
      'the outcome queue to hold the four outcomes',
    );
    expect(outcomes.filter(({ detail }) => [...ids, 'ev-sentinel'].includes(detail.id)).map(({ detail }) => `${detail.id} ${detail.status}`).sort()).toEqual(
      [`${editedWhilePending} FINISHED`, 'ev-bad FAILED', 'ev-good FINISHED', 'ev-sentinel FAILED'].sort(),
    );
  } finally {
    await probe.remove();
  }
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

  await eventually(
    async () => (await readRow(p.clients.dynamodb, tableName, 'retry-1')).status === ItemStatus.FINISHED,
    120_000,
    'the resubmitted row to finish',
  );
  expect((await readOutput(p, 'retry/late file.txt')).toString()).toBe('arrived late\n');
});

it('runs the demo: copies, and the command processors sha256sum and gzip on this machine, every output checked', async () => {
  const p = running();

  const result = await runDemo({
    dynamodb: p.clients.dynamodb,
    s3: p.clients.s3,
    tableName: output(p, 'table_name'),
    bucketName: output(p, 'bucket_name'),
    timeoutMs: 180_000,
  });

  const summary = summarizeDemo(result);
  expect(summary.failed).toBe(false);
  expect(result.rows.map((row) => [row.processor, row.status, row.verified])).toEqual([
    ['copy', ItemStatus.FINISHED, true],
    ['copy', ItemStatus.FINISHED, true],
    ['copy', ItemStatus.FINISHED, true],
    ['demo-checksum', ItemStatus.FINISHED, true],
    ['demo-checksum', ItemStatus.FINISHED, true],
    ['demo-gzip', ItemStatus.FINISHED, true],
  ]);
  expect(summary.text).toContain('output data/output/client_2/data/numbers.csv/demo-gzip/numbers.csv.gz');
});
