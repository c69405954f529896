import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ENDPOINT_ENV, ItemAttribute, ItemStatus, LOGS_PREFIX, OUTPUT_PREFIX } from '../../../contracts';
import { startHoldingProxy, type HoldingProxy } from '../../../local/emulator/holding-proxy';
import { startEmulator } from '../../../local/emulator/moto';
import { requireWorkerBundle } from '../../../local/emulator/paths';
import { rowPipeMessage } from '../../../local/standins/pipe-message';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { useEmulator } from '../../support/emulator';
import { eventually } from '../../support/eventually';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  putRowAndMessage,
  readLogEvents,
  readObject,
  readOutput,
  readRow,
  startWorker,
  submitRow,
  temporaryLogPath,
  TEST_INSTANCE_ID,
  workerEnvironment,
  type TestPipeline,
  type WorkerProcess,
} from '../../support/worker-fixtures';
import { isUpdateItem, runWorkerWithFaults, type InProcessOptions } from '../../support/worker-in-process';

jest.setTimeout(120_000);

/**
 * The worker against moto. What the copy does to objects, rows and messages runs the worker in this process
 * (worker-in-process.ts: runWorker with real SDK clients, stopping when idle); what only a process shows
 * (its exit code, its signal handling, its own log file and its upload, a SIGKILL) starts `node worker.js`.
 * Path validation of bad rows is the corpus's (unit/worker/bad-input-corpus.test.ts); here they run once,
 * together, to show the outcome reaches the table and the queue.
 */

/** 0.05 min = 3 s: the worker process drains the queue, then stops on its own and uploads its log. */
const SHORT_IDLE_MINUTES = '0.05';
const EXIT_DEADLINE_MS = 60_000;
const MIB = 1024 * 1024;
/** sys.setswitchinterval for the emulator of the race under a loaded machine's thread switching. */
const FAST_SWITCH_SECONDS = 1e-5;

const kit = useEmulator();
let pipeline: TestPipeline | undefined;
const workers: WorkerProcess[] = [];
let proxy: HoldingProxy | undefined;

beforeAll(() => requireWorkerBundle());

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
  await proxy?.close();
  proxy = undefined;
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

async function setUp(visibilityTimeoutSeconds = 30, maxReceiveCount = 5): Promise<TestPipeline> {
  pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds, maxReceiveCount });
  return pipeline;
}

function launch(p: TestPipeline, overrides: Parameters<typeof workerEnvironment>[1]): WorkerProcess {
  const worker = startWorker(workerEnvironment(p, overrides));
  workers.push(worker);
  return worker;
}

/** Runs a worker process until it stops on its own after the short idle period; returns its exit and log lines. */
async function runProcessUntilIdle(p: TestPipeline, overrides: Partial<Parameters<typeof workerEnvironment>[1]> = {}) {
  const logPath = temporaryLogPath();
  const worker = launch(p, { autoterminateMinutes: SHORT_IDLE_MINUTES, logPath, ...overrides });
  let deadline: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    worker.exited,
    new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error(`worker did not stop: ${worker.stderr()}`)), EXIT_DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(deadline));
  return { exit, events: readLogEvents(logPath), logPath };
}

const logged = (logPath: string, event: string) => () => readLogEvents(logPath).some((line) => line.event === event);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const named = (events: Array<Record<string, unknown>>, name: string) => events.filter((event) => event.event === name);

describe('worker in this process against the emulator', () => {
  it('copies PENDING rows byte for byte, keeps content type and metadata, records FINISHED and empties the queue', async () => {
    // Prepare: keys that break naive CopySource encoding.
    const p = await setUp();
    const rests = [
      'client_1/test_file_1.txt',
      'client 1/with space.txt',
      'client+1/plus+sign.txt',
      'percent/100%25 done %.txt',
      'unicode/résumé-日本語-🚀.txt',
      'query/what?x=1&y=2#frag.txt',
    ];
    const bodies = new Map<string, Buffer>();
    for (const [index, rest] of rests.entries()) {
      const body = randomBytes(1024 + index);
      bodies.set(rest, body);
      await putInput(p, rest, body, { ContentType: 'application/x-test', Metadata: { origin: `case-${index}` } });
      await submitRow(p, `item-${index}`, inputPath(p, rest));
    }

    // Act
    const { exitCode, events } = await runWorkerWithFaults(p);

    // Assess
    expect(exitCode).toBe(0);
    for (const [index, rest] of rests.entries()) {
      const row = await readRow(p, `item-${index}`);
      expect(row).toMatchObject({
        [ItemAttribute.status]: ItemStatus.FINISHED,
        [ItemAttribute.outputPath]: `s3://${p.bucketName}/${OUTPUT_PREFIX}${rest}`,
        [ItemAttribute.workerInstanceId]: TEST_INSTANCE_ID,
      });
      expect(Number.isNaN(Date.parse(String(row?.[ItemAttribute.finishedAt])))).toBe(false);
      expect(sha256(await readOutput(p, rest))).toBe(sha256(bodies.get(rest)!));
      const head = await p.s3.send(new HeadObjectCommand({ Bucket: p.bucketName, Key: `${OUTPUT_PREFIX}${rest}` }));
      expect(head.ContentType).toBe('application/x-test');
      expect(head.Metadata).toEqual({ origin: `case-${index}` });
    }
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(named(events, 'item_finished')).toHaveLength(rests.length);
  });

  it('records FAILED with its reason for each bad row, deletes every message and sends none to the DLQ', async () => {
    const p = await setUp();
    const cases = [
      { id: 'outside-input', attributes: { [ItemAttribute.s3Path]: `s3://${p.bucketName}/data/other/file.txt` }, reason: /must be under/ },
      { id: 'other-bucket', attributes: { [ItemAttribute.s3Path]: 's3://someone-elses-bucket/data/input/file.txt' }, reason: /must be in bucket/ },
      { id: 'missing-object', attributes: { [ItemAttribute.s3Path]: inputPath(p, 'missing/file.txt') }, reason: /source object does not exist/ },
      { id: 'dot-dot', attributes: { [ItemAttribute.s3Path]: inputPath(p, 'a/../../secret.txt') }, reason: /‘\.\.’ segment/ },
      { id: 'not-s3', attributes: { [ItemAttribute.s3Path]: 'https://example.com/data/input/file.txt' }, reason: /must start with s3:\/\// },
      { id: 'no-path', attributes: {}, reason: /^s3_path is missing$/ },
      { id: 'numeric-path', attributes: { [ItemAttribute.s3Path]: 42 }, reason: /^s3_path must be a string, got number$/ },
      // The write pinned by type: a list where a string belongs.
      { id: 'list-path', attributes: { [ItemAttribute.s3Path]: ['s3://x/data/input/a'] }, reason: /^s3_path must be a string, got object$/ },
    ];
    for (const { id, attributes } of cases) {
      await putRowAndMessage(p, { [ItemAttribute.id]: id, [ItemAttribute.status]: ItemStatus.PENDING, ...attributes });
    }

    const { exitCode, events } = await runWorkerWithFaults(p);

    expect(exitCode).toBe(0);
    for (const { id, reason } of cases) {
      const row = await readRow(p, id);
      expect({ id, status: row?.[ItemAttribute.status], worker: row?.[ItemAttribute.workerInstanceId] }).toEqual({
        id,
        status: ItemStatus.FAILED,
        worker: TEST_INSTANCE_ID,
      });
      expect({ id, reason: row?.[ItemAttribute.failureReason] }).toEqual({ id, reason: expect.stringMatching(reason) });
      expect(events).toContainEqual(expect.objectContaining({ event: 'item_failed', item_id: id }));
    }
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await readQueueDepth(p.sqs, p.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('neither copies twice nor turns a FINISHED row back when the message comes again', async () => {
    const p = await setUp();
    await putInput(p, 'dup/file.txt', 'once');
    await submitRow(p, 'dup', inputPath(p, 'dup/file.txt'));
    await runWorkerWithFaults(p);
    const finished = await readRow(p, 'dup');
    expect(finished?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);

    // The pipe delivers at least once: the same record again.
    const row = { [ItemAttribute.id]: 'dup', [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: inputPath(p, 'dup/file.txt') };
    await p.sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: rowPipeMessage(row) }));
    const { events } = await runWorkerWithFaults(p);

    expect(await readRow(p, 'dup')).toEqual(finished);
    const versions = await p.s3.send(new ListObjectVersionsCommand({ Bucket: p.bucketName, Prefix: `${OUTPUT_PREFIX}dup/` }));
    expect(versions.Versions).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_skipped', item_id: 'dup', reason: 'already FINISHED' }));
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('copies a 12 MiB object in parts above a 5 MiB threshold into an identical object', async () => {
    const p = await setUp();
    const body = randomBytes(12 * MIB);
    await putInput(p, 'big/object.bin', body, { ContentType: 'application/octet-stream', Metadata: { size: 'large' } });
    await submitRow(p, 'big', inputPath(p, 'big/object.bin'));

    const { events } = await runWorkerWithFaults(p, { config: { multipartThresholdBytes: 5 * MIB } });

    expect(await readRow(p, 'big')).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED });
    const output = await readOutput(p, 'big/object.bin');
    expect(output.length).toBe(body.length);
    expect(sha256(output)).toBe(sha256(body));
    const head = await p.s3.send(new HeadObjectCommand({ Bucket: p.bucketName, Key: `${OUTPUT_PREFIX}big/object.bin` }));
    expect(head.ContentType).toBe('application/octet-stream');
    expect(head.Metadata).toEqual({ size: 'large' });
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_finished', item_id: 'big', multipart: true, parts: 3 }));
  });

  it('keeps the SSE-KMS key of single and multipart copies, and the tags of multipart ones', async () => {
    const p = await setUp();
    // moto accepts any key ARN for SSE-KMS and reports it back; it does not encrypt.
    const key = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const protectedInput = { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: key, Tagging: 'team=data%20science&tier=1' };
    await putInput(p, 'kms/small.txt', randomBytes(1024), { ContentType: 'text/plain', ...protectedInput });
    await putInput(p, 'kms/large.bin', randomBytes(12 * MIB), { ContentType: 'application/octet-stream', ...protectedInput });
    await submitRow(p, 'kms-small', inputPath(p, 'kms/small.txt'));
    await submitRow(p, 'kms-large', inputPath(p, 'kms/large.bin'));

    const { events } = await runWorkerWithFaults(p, { config: { multipartThresholdBytes: 5 * MIB } });

    expect(named(events, 'item_finished').map((event) => event.multipart).sort()).toEqual([false, true]);
    for (const rest of ['kms/small.txt', 'kms/large.bin']) {
      const outputKey = `${OUTPUT_PREFIX}${rest}`;
      const head = await p.s3.send(new HeadObjectCommand({ Bucket: p.bucketName, Key: outputKey }));
      expect({ rest, sse: head.ServerSideEncryption, key: head.SSEKMSKeyId }).toEqual({ rest, sse: 'aws:kms', key });
      const { TagSet } = await p.s3.send(new GetObjectTaggingCommand({ Bucket: p.bucketName, Key: outputKey }));
      expect({ rest, tags: TagSet }).toEqual({
        rest,
        tags: [
          { Key: 'team', Value: 'data science' },
          { Key: 'tier', Value: '1' },
        ],
      });
    }
  });

  it('leaves a body that does not parse for the redrive: it ends in the DLQ, logged with its message ID', async () => {
    const p = await setUp(2, 2);
    const { MessageId } = await p.sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: '{"not": "a stream record"' }));

    // The worker polls on until the message has gone to the DLQ: its third receive moves it there (maxReceiveCount 2).
    const { events } = await runWorkerWithFaults(p, { until: async () => (await readQueueDepth(p.sqs, p.dlqUrl)).visible > 0 });

    expect(events).toContainEqual(expect.objectContaining({ event: 'message_unparseable', message_id: MessageId }));
    const dead = await eventually(
      async () => {
        const { Messages } = await p.sqs.send(new ReceiveMessageCommand({ QueueUrl: p.dlqUrl, WaitTimeSeconds: 1 }));
        return Messages?.[0];
      },
      20_000,
      'the message in the DLQ',
    );
    expect(dead.MessageId).toBe(MessageId);
  });

  it('a worker killed between the copy and the status write: the next one finishes the row once, output intact', async () => {
    // Prepare the state such a kill leaves: the output written, the row still PENDING, the message back in the queue.
    const p = await setUp();
    const body = randomBytes(64 * 1024);
    await putInput(p, 'killed/file.bin', body, { ContentType: 'text/plain', Metadata: { step: 'copied' } });
    await p.s3.send(
      new PutObjectCommand({
        Bucket: p.bucketName,
        Key: `${OUTPUT_PREFIX}killed/file.bin`,
        Body: body,
        ContentType: 'text/plain',
        Metadata: { step: 'copied' },
      }),
    );
    await submitRow(p, 'killed', inputPath(p, 'killed/file.bin'));

    const { events } = await runWorkerWithFaults(p);

    expect(await readRow(p, 'killed')).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED });
    expect(named(events, 'item_finished')).toHaveLength(1);
    expect(sha256(await readOutput(p, 'killed/file.bin'))).toBe(sha256(body));
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});

/**
 * Two workers holding one row's two messages (the pipe delivers at least once). Each worker takes one message
 * (concurrency 1), and both outcome writes are held until both workers have sent theirs: the race the
 * `#status = :pending` condition decides (worker/table.ts) happens in every run, not by chance.
 */
async function twoWorkersOnOneRow(p: TestPipeline, editUpdateItem?: InProcessOptions['editUpdateItem']) {
  const body = randomBytes(2 * MIB);
  await putInput(p, 'race/file.bin', body);
  await submitRow(p, 'race', inputPath(p, 'race/file.bin'));
  const row = { [ItemAttribute.id]: 'race', [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: inputPath(p, 'race/file.bin') };
  await p.sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: rowPipeMessage(row) }));
  const ids = ['i-00000000000000001', 'i-00000000000000002'];
  const bothWriting = meeting(ids.length);
  const heldUntilBoth = { matches: isUpdateItem, times: 1, before: bothWriting.arrive };

  const runs = await Promise.all(
    ids.map((instanceId) => runWorkerWithFaults(p, { config: { instanceId, concurrency: 1 }, dynamodb: [heldUntilBoth], editUpdateItem })),
  );

  const finishedBy = ids.filter((_, index) => named(runs[index].events, 'item_finished').length > 0);
  return { body, runs, finishedBy };
}

/** Resolves each party's `arrive` once all `parties` have arrived. */
function meeting(parties: number) {
  let arrived = 0;
  let open!: () => void;
  const everyone = new Promise<void>((resolve) => (open = resolve));
  return {
    arrive: async () => {
      if (++arrived === parties) open();
      await everyone;
    },
  };
}

async function expectFinishedOnce(p: TestPipeline, race: Awaited<ReturnType<typeof twoWorkersOnOneRow>>) {
  expect(race.runs.flatMap((run) => named(run.events, 'item_finished'))).toHaveLength(1);
  expect(race.runs.flatMap((run) => named(run.events, 'item_skipped'))).toEqual([expect.objectContaining({ item_id: 'race' })]);
  const stored = await readRow(p, 'race');
  expect(stored?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);
  expect(stored?.[ItemAttribute.workerInstanceId]).toBe(race.finishedBy[0]);
  expect(sha256(await readOutput(p, 'race/file.bin'))).toBe(sha256(race.body));
  expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
}

describe('two workers finishing the same row', () => {
  it('FINISHED once, the output intact, both messages deleted', async () => {
    const p = await setUp();

    const race = await twoWorkersOnOneRow(p);

    await expectFinishedOnce(p, race);
  });

  it('the same on an emulator switching threads as often as a loaded machine does', async () => {
    const fast = await startEmulator({ switchIntervalSeconds: FAST_SWITCH_SECONDS });
    const p = await createTestPipeline(fast.endpoint, { visibilityTimeoutSeconds: 30 });
    try {
      const race = await twoWorkersOnOneRow(p);

      await expectFinishedOnce(p, race);
    } finally {
      destroyTestPipeline(p);
      await fast.stop();
    }
  });

  it("is the worker's condition at work: without `#status = :pending`, both outcomes land", async () => {
    // The mutation: the worker's outcome write keeps its submission pins and loses its status condition.
    const p = await setUp();
    const withoutStatusCondition = (input: UpdateItemCommandInput): UpdateItemCommandInput => {
      expect(input.ConditionExpression).toMatch(/^#status = :pending AND /);
      const values = { ...input.ExpressionAttributeValues };
      delete values[':pending'];
      return { ...input, ConditionExpression: input.ConditionExpression!.replace(/^#status = :pending AND /, ''), ExpressionAttributeValues: values };
    };

    const race = await twoWorkersOnOneRow(p, withoutStatusCondition);

    expect(race.runs.flatMap((run) => named(run.events, 'item_finished'))).toHaveLength(2);
    expect(race.finishedBy).toHaveLength(2);
  });
});

describe('worker process against the emulator', () => {
  it('stops after the idle period, uploads its log to logs/<instance-id>/ and exits 0', async () => {
    const p = await setUp();

    const { exit, events, logPath } = await runProcessUntilIdle(p);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(events.map((event) => event.event)).toEqual(expect.arrayContaining(['worker_started', 'worker_idle', 'worker_stopped']));
    const listed = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: `${LOGS_PREFIX}${TEST_INSTANCE_ID}/` }));
    expect(listed.Contents).toHaveLength(1);
    expect(listed.Contents?.[0].Key).toMatch(/-idle\.log$/);
    const uploaded = (await readObject(p, listed.Contents![0].Key!)).toString('utf8');
    expect(uploaded).toContain('"event":"worker_idle"');
    expect(readFileSync(logPath, 'utf8').startsWith(uploaded)).toBe(true);
  });

  it('on SIGTERM stops receiving, uploads its log and exits 0', async () => {
    const p = await setUp();
    const logPath = temporaryLogPath();
    const worker = launch(p, { logPath });
    await eventually(logged(logPath, 'worker_polling'), 20_000, 'the worker to poll');

    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit).toEqual({ code: 0, signal: null });
    const events = readLogEvents(logPath).map((event) => event.event);
    expect(events).toEqual(expect.arrayContaining(['signal_received', 'worker_stopping', 'worker_stopped', 'log_uploaded']));
    const listed = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: `${LOGS_PREFIX}${TEST_INSTANCE_ID}/` }));
    expect(listed.Contents?.[0].Key).toMatch(/-signal\.log$/);
  });

  it('a second SIGTERM while a copy is in flight changes nothing: the drain releases the message, uploads the log and exits 0', async () => {
    const p = await setUp();
    await putInput(p, 'held/file.txt', 'held');
    await submitRow(p, 'held', inputPath(p, 'held/file.txt'));
    // The copy request never gets an answer: the job is still running when the grace period ends.
    proxy = await startHoldingProxy(p.endpoint);
    const logPath = temporaryLogPath();
    // 5 s of grace instead of 20: room for the second signal to come while the first one's drain waits.
    const env = workerEnvironment(p, { logPath, shutdownGraceSeconds: '5' });
    env[ENDPOINT_ENV] = proxy.endpoint;
    const worker = startWorker(env);
    workers.push(worker);
    await proxy.copyHeld;

    worker.child.kill('SIGTERM');
    await eventually(logged(logPath, 'signal_received'), 20_000, 'the first signal to be handled');
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit).toEqual({ code: 0, signal: null });
    const events = readLogEvents(logPath);
    expect(events.map((event) => event.event)).toEqual(
      expect.arrayContaining(['signal_received', 'signal_repeated', 'worker_stopping', 'message_released', 'worker_stopped']),
    );
    expect(events).toContainEqual(expect.objectContaining({ event: 'signal_repeated', signal: 'SIGTERM', signals: 2 }));
    const listed = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: `${LOGS_PREFIX}${TEST_INSTANCE_ID}/` }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([expect.stringMatching(/-signal\.log$/)]);
    // Released: visible again at once for the next worker, the row untouched.
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect((await readRow(p, 'held'))?.[ItemAttribute.status]).toBe(ItemStatus.PENDING);
  });

  it('after a worker is killed mid-batch, its messages return after the visibility timeout and a new worker finishes them', async () => {
    const p = await setUp(3);
    const count = 10;
    const bodies: Buffer[] = [];
    for (let index = 0; index < count; index++) {
      bodies.push(randomBytes(256 * 1024));
      await putInput(p, `batch/file-${index}.bin`, bodies[index]);
      await submitRow(p, `batch-${index}`, inputPath(p, `batch/file-${index}.bin`));
    }
    const firstLog = temporaryLogPath();
    const first = launch(p, { logPath: firstLog, visibilityTimeoutSeconds: '3', concurrency: '10' });
    await eventually(logged(firstLog, 'message_received'), 20_000, 'a received message');

    await first.kill('SIGKILL');

    // The precondition that makes this test mean something: messages were in flight when the worker died.
    const afterKill = await readQueueDepth(p.sqs, p.queueUrl);
    expect(afterKill.inFlight).toBeGreaterThan(0);
    // The next worker runs in this process, and polls on until every row is FINISHED and the queue is empty,
    // however late the killed worker's messages come back. Rows alone are not enough: the killed worker may have
    // finished rows whose messages it had not deleted yet, and a receive it left open on the emulator can take
    // returned messages once more. Those come back later, and the new worker must delete them too.
    const allDone = async () => {
      for (let index = 0; index < count; index++) if ((await readRow(p, `batch-${index}`))?.[ItemAttribute.status] !== ItemStatus.FINISHED) return false;
      const { visible, inFlight } = await readQueueDepth(p.sqs, p.queueUrl);
      return visible === 0 && inFlight === 0;
    };
    const { exitCode, events } = await runWorkerWithFaults(p, { config: { visibilityTimeoutSeconds: 3 }, until: allDone });

    expect(exitCode).toBe(0);
    for (let index = 0; index < count; index++) {
      expect((await readRow(p, `batch-${index}`))?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);
      expect(sha256(await readOutput(p, `batch/file-${index}.bin`))).toBe(sha256(bodies[index]));
    }
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    // Redelivered, not sent again: the second worker saw receive counts above 1.
    expect(named(events, 'message_received').some((event) => Number(event.receive_count) > 1)).toBe(true);
  });

  it('exits 2 and names the variable when the configuration is invalid', async () => {
    const p = await setUp();
    const worker = launch(p, { logPath: temporaryLogPath(), autoterminateMinutes: 'abc' });

    const exit = await worker.exited;

    expect(exit.code).toBe(2);
    expect(worker.stderr()).toContain('EC2_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "abc"');
  });
});
