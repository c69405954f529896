import { createHash, randomBytes } from 'node:crypto';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CHUNK_COUNT_ATTRIBUTE, ItemAttribute, ItemStatus, LOGS_PREFIX, OrchestratorEnv, OrchestratorLogEvent } from '../../../contracts';
import { DEMO_CHUNK_PROCESSOR } from '../../../local/cli/chunk-demo';
import { demoCatalog, runDemo, summarizeDemo } from '../../../local/cli/demo';
import { readRow, waitForTerminalRows } from '../../../local/cli/rows';
import { makeBadSamples, makeGoodSamples } from '../../../local/samples/documents';
import {
  instanceState,
  listKeys,
  output,
  putInput,
  putRow,
  putRows,
  liveWorkerInstances,
  pipeDeliveredThrough,
  queueDepth,
  readOutput,
  receivedByWorkers,
  setOrchestratorEnvironment,
  startWithMaxWorkers,
  streamPositionOf,
  useLocalPipeline,
  subscribeProbe,
} from './support';
import { eventually } from '../../support/eventually';

/**
 * The whole pipeline on moto, as `npm run local` runs it: the stack applied with terraform, both pipes on the
 * stream, the real schedule (every 60 s, as `--tick-seconds 60`) and the wake queue invoking the real
 * orchestrator, and the real worker bundle run per emulated instance. One deployment for the suite
 * (MAX_WORKERS=1, the seed's behaviour, with the outcome queue, and the demo's processors: `copy`, the default,
 * and `chunk`); the tests clean up after themselves, and the last one scales out to two workers. The soaks run
 * on a deployment of their own with a fast schedule, in parallel with this one (soak.test.ts).
 */
jest.setTimeout(300_000);

/** The real schedule's rate: pickups well under it come from the event trigger. */
const TICK_SECONDS = 60;

// With the demo's processors (chunk, two commands) beside copy (the default): `npm run local -- --demo` deploys the same.
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

// Issue 13: with the real one-minute schedule, a row inserted while no worker runs is picked up by the wake
// queue, not the schedule. The schedule is held for the test, so the row can only finish through the wake queue
// (how fast it does is the benchmark's figure: docs/benchmarks.md).
it('picks up a row through the wake queue alone when no worker runs, the schedule held', async () => {
  const p = running();
  const tableName = output(p, 'table_name');
  await eventually(async () => p.instances.running().length === 0 && (await liveWorkerInstances(p)).length === 0, 120_000, 'no worker running');
  const s3Path = await putInput(p, 'pickup/now.txt', 'right now\n');
  const releaseSchedule = await p.schedule.holdTicks();
  const ticksBefore = p.schedule.ticks();
  try {
    await putRow(p, { id: 'pickup', status: ItemStatus.PENDING, s3_path: s3Path });
    const [row] = await waitForTerminalRows(p.clients.dynamodb, tableName, ['pickup'], { timeoutMs: 120_000, pollMs: 100 });

    expect(row.status).toBe(ItemStatus.FINISHED);
    expect(p.schedule.ticks()).toBe(ticksBefore);
  } finally {
    releaseSchedule();
  }
  // The worker that finished it was launched by a run the wake queue started.
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
// PENDING), and none for an update that keeps a row PENDING or an edit that keeps any status. DynamoDB Streams
// orders the records of one item, not those of different items: each check waits for a later event of the
// same item.
it('publishes one event per status change to a rule with an SQS target, none for PENDING→PENDING or unrelated edits', async () => {
  const p = running();
  const tableName = output(p, 'table_name');
  const bucket = output(p, 'bucket_name');
  const probe = await subscribeProbe(p, 'events-probe');
  const update = (id: string, set: Record<string, string>, condition?: string) =>
    p.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [ItemAttribute.id]: { S: id } },
        UpdateExpression: `SET ${Object.keys(set).map((_, index) => `#n${index} = :v${index}`).join(', ')}`,
        ...(condition ? { ConditionExpression: '#status = :status' } : {}),
        ExpressionAttributeNames: {
          ...Object.fromEntries(Object.keys(set).map((name, index) => [`#n${index}`, name])),
          ...(condition ? { '#status': ItemAttribute.status } : {}),
        },
        ExpressionAttributeValues: {
          ...Object.fromEntries(Object.values(set).map((value, index) => [`:v${index}`, { S: value }])),
          ...(condition ? { ':status': { S: condition } } : {}),
        },
      }),
    );
  const setNote = (id: string, condition: string) => update(id, { note: 'edited' }, condition);
  try {
    // No worker runs until the rows are in and the PENDING→PENDING edit is made: the edit finds its row PENDING.
    const releaseBoots = p.instances.holdBoots();
    const goodPath = await putInput(p, 'events/good.txt', 'good\n');
    try {
      await eventually(async () => p.instances.running().length === 0, 120_000, 'no worker running');
      await putRow(p, { id: 'ev-good', status: ItemStatus.PENDING, s3_path: goodPath });
      await putRow(p, { id: 'ev-bad', status: ItemStatus.PENDING, s3_path: `s3://${bucket}/data/input/events/missing.txt` });
      await putRow(p, { id: 'ev-pending-edit', status: ItemStatus.PENDING, s3_path: await putInput(p, 'events/ev-pending-edit.txt', 'x\n') });
      await setNote('ev-pending-edit', ItemStatus.PENDING);
    } finally {
      releaseBoots();
    }
    const ids = ['ev-good', 'ev-bad', 'ev-pending-edit'];
    const rows = await waitForTerminalRows(p.clients.dynamodb, tableName, ids, { timeoutMs: 120_000 });
    expect(rows.map((row) => row.status)).toEqual([ItemStatus.FINISHED, ItemStatus.FAILED, ItemStatus.FINISHED]);

    // Unrelated edits of the finished and the failed row, then a marker of each: a status change (with what an
    // outcome event requires) whose event comes after anything the edit caused.
    await setNote('ev-good', ItemStatus.FINISHED);
    await setNote('ev-bad', ItemStatus.FAILED);
    await update('ev-good', { [ItemAttribute.status]: ItemStatus.FAILED, [ItemAttribute.failureReason]: 'marker' });
    await update('ev-bad', { [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.outputPath]: `s3://${bucket}/data/output/events/marker.txt` });
    const received = (id: string, status: string) => probe.received.some(({ detail }) => detail.id === id && detail.status === status);
    await eventually(
      async () => {
        await probe.drain();
        return received('ev-good', ItemStatus.FAILED) && received('ev-bad', ItemStatus.FINISHED) && received('ev-pending-edit', ItemStatus.FINISHED);
      },
      120_000,
      'the markers\' events and the edited row\'s FINISHED',
    );

    // A standard queue does not keep order: compare the events of each row, sorted.
    const statusesOf = (id: string) => probe.received.filter(({ detail }) => detail.id === id).map(({ detail }) => String(detail.status)).sort();
    expect(statusesOf('ev-good')).toEqual([ItemStatus.FAILED, ItemStatus.FINISHED, ItemStatus.PENDING]);
    expect(statusesOf('ev-bad')).toEqual([ItemStatus.FAILED, ItemStatus.FINISHED, ItemStatus.PENDING]);
    expect(statusesOf('ev-pending-edit')).toEqual([ItemStatus.FINISHED, ItemStatus.PENDING]);
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

    // The stack's own outcome queue (PIPELINE_EVENTS_QUEUE) got the outcomes, the markers' included, and no PENDING event.
    const expectedOutcomes = ['ev-good FINISHED', 'ev-good FAILED', 'ev-bad FAILED', 'ev-bad FINISHED', 'ev-pending-edit FINISHED'].sort();
    const outcomes: string[] = [];
    await eventually(
      async () => {
        const { Messages = [] } = await p.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: output(p, 'events_queue_url'), MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) {
          const { detail } = JSON.parse(message.Body!) as { detail: { id: string; status: string } };
          if (ids.includes(detail.id)) outcomes.push(`${detail.id} ${detail.status}`);
          await p.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: output(p, 'events_queue_url'), ReceiptHandle: message.ReceiptHandle }));
        }
        return Messages.length === 0 && expectedOutcomes.every((outcome) => outcomes.includes(outcome));
      },
      60_000,
      'the outcome queue to hold the five outcomes',
    );
    expect(outcomes.sort()).toEqual(expectedOutcomes);
  } finally {
    await probe.remove();
  }
});

// Issue 22: the chunk processor in the whole pipeline, and the one rule an embedding step subscribes with.
it('chunks documents for the chunk processor; its FINISHED events, on a rule for the processor, carry the JSONL and the chunk count', async () => {
  const p = running();
  const tableName = output(p, 'table_name');
  const bucket = output(p, 'bucket_name');
  const probe = await subscribeProbe(p, 'chunks-probe', { status: [ItemStatus.FINISHED], processor: [DEMO_CHUNK_PROCESSOR] });
  try {
    const samples = [...(await makeGoodSamples()), ...(await makeBadSamples())].filter((sample) =>
      ['field-guide.pdf', 'field-guide.md', 'scanned.pdf'].includes(sample.name),
    );
    for (const sample of samples) {
      const s3Path = await putInput(p, `chunks/${sample.name}`, Buffer.from(sample.bytes));
      await putRow(p, { id: `chunk-${sample.name}`, status: ItemStatus.PENDING, s3_path: s3Path, [ItemAttribute.processor]: DEMO_CHUNK_PROCESSOR });
    }
    const rows = await waitForTerminalRows(p.clients.dynamodb, tableName, samples.map((sample) => `chunk-${sample.name}`), { timeoutMs: 120_000 });
    expect(rows.map((row) => [row.id, row.status])).toEqual([
      ['chunk-field-guide.pdf', ItemStatus.FINISHED],
      ['chunk-field-guide.md', ItemStatus.FINISHED],
      ['chunk-scanned.pdf', ItemStatus.FAILED],
    ]);
    expect(rows[2].failureReason).toMatch(/no extractable text.*OCR/);

    await eventually(
      async () => {
        await probe.drain();
        return probe.received.length >= 2;
      },
      120_000,
      'the two FINISHED events of the chunk processor',
    );
    for (const name of ['field-guide.pdf', 'field-guide.md']) {
      const { Item } = await p.clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: `chunk-${name}` } }, ConsistentRead: true }));
      const chunkCount = Item?.[CHUNK_COUNT_ATTRIBUTE]?.N;
      const chunksKey = `data/output/chunks/${name}.chunks.jsonl`;
      const lines = (await readOutput(p, `chunks/${name}.chunks.jsonl`)).toString('utf8').split('\n').filter(Boolean);
      expect(Number(chunkCount)).toBe(lines.length);
      expect(probe.received.filter(({ detail }) => detail.id === `chunk-${name}`).map(({ detail }) => detail)).toEqual([
        expect.objectContaining({ status: ItemStatus.FINISHED, processor: DEMO_CHUNK_PROCESSOR, output_path: `s3://${bucket}/${chunksKey}`, output_count: '2', chunk_count: chunkCount }),
      ]);
    }
    // The rule names the processor and FINISHED: neither copy's outcomes nor the scan's FAILED reach it.
    expect(probe.received.map(({ detail }) => detail.id).sort()).toEqual(['chunk-field-guide.md', 'chunk-field-guide.pdf']);
  } finally {
    await probe.remove();
  }
});

it('fails bad rows with a reason, and never enqueues a lowercase status', async () => {
  const p = running();
  const bucket = output(p, 'bucket_name');
  const tableName = output(p, 'table_name');
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
  // The pipe has delivered the lowercase row's record, had its filter let it through; then, once every message
  // is deleted, a worker would have received it.
  const lowercase = await streamPositionOf(p, 'lowercase', (image) => image?.[ItemAttribute.status]?.S === 'pending');
  await eventually(() => pipeDeliveredThrough(p, lowercase), 60_000, "the pipe to deliver the lowercase row's record");
  await eventually(async () => (await queueDepth(p, 'queue_url')) === 0, 60_000, 'the workers to delete every message');
  expect(receivedByWorkers(p, 'lowercase')).toEqual([]);
  expect((await readRow(p.clients.dynamodb, tableName, 'lowercase')).status).toBe('pending');
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

// Last: it raises MAX_WORKERS to 2 (only the orchestrator reads it, so it is set on the deployed function instead
// of a stack of its own), and sets the deployment's 1 back after.
it('finishes 200 rows with two workers running at once and never more (MAX_WORKERS=2), every output identical', async () => {
  const p = running();
  await startWithMaxWorkers(p, 2);
  try {
    const files = Array.from({ length: 200 }, (_, index) => ({
      id: `bulk-${index}`,
      rest: `bulk/client_${index % 7}/file ${index}.txt`,
      body: `${createHash('sha256').update(String(index)).digest('hex')}\n`.repeat(64),
    }));
    const rows: Record<string, string>[] = [];
    for (const file of files) rows.push({ id: file.id, status: ItemStatus.PENDING, s3_path: await putInput(p, file.rest, file.body) });

    // No worker boots until the orchestrator has launched both: a backlog of 200 calls for two, and with none of
    // them taking messages yet it stays that deep. Both then start together; a third is never launched.
    const releaseBoots = p.instances.holdBoots();
    try {
      await putRows(p, rows);
      await eventually(async () => (await liveWorkerInstances(p)).length === 2, 120_000, 'two workers launched');
    } finally {
      releaseBoots();
    }
    let mostInstances = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        mostInstances = Math.max(mostInstances, (await liveWorkerInstances(p)).length);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    try {
      const final = await waitForTerminalRows(p.clients.dynamodb, output(p, 'table_name'), files.map((file) => file.id), {
        timeoutMs: 300_000,
        pollMs: 2000,
      });
      expect(final.filter((row) => row.status !== ItemStatus.FINISHED)).toEqual([]);
    } finally {
      sampling = false;
      await sampler;
    }

    // Both workers ran at the same time (the instance runner counts them as they start), and never a third.
    expect(p.instances.peakRunning()).toBe(2);
    expect(mostInstances).toBeLessThanOrEqual(2);
    for (const file of files) expect((await readOutput(p, file.rest)).toString()).toBe(file.body);
  } finally {
    await setOrchestratorEnvironment(p, { [OrchestratorEnv.maxWorkers]: '1' });
  }
});
