import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  BOOT_FAILURES_PREFIX,
  COPY_ONLY_CATALOG,
  INPUT_PREFIX,
  ItemAttribute,
  ItemStatus,
  LOGS_PREFIX,
  PROCESSOR_CATALOG_KEY,
  ProcessorType,
} from '../../../contracts';
import { stackResourceRequests } from '../../../local/emulator/stack-resources';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { runInProcess, useOpsEmulator } from './ops-fixture';

// A deadline against hangs, with room for a loaded machine (the flake hunt's stress).
jest.setTimeout(120_000);

const ctx = useOpsEmulator('outputs.json');

const cli = (...args: string[]) => runInProcess(args, { cwd: ctx.dir, endpoint: ctx.emulator.endpoint });
const localFile = (name: string, content: string): string => {
  const file = path.join(ctx.dir, name);
  writeFileSync(file, content);
  return file;
};
const rows = async () =>
  (await ctx.clients.documents.send(new ScanCommand({ TableName: ctx.resources.tableName }))).Items ?? [];
const inputKeys = async () =>
  ((await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucketName, Prefix: INPUT_PREFIX }))).Contents ?? [])
    .map((object) => object.Key)
    .sort();
const putRow = (item: Record<string, string>) =>
  ctx.clients.documents.send(new PutCommand({ TableName: ctx.resources.tableName, Item: item }));
const putObject = (key: string, body: string) =>
  ctx.clients.s3.send(new PutObjectCommand({ Bucket: ctx.resources.bucketName, Key: key, Body: body }));

describe('submit', () => {
  it('uploads local files under data/input/<prefix> and writes one PENDING row per file', async () => {
    const a = localFile('a.txt', 'alpha');
    const b = localFile('b c.txt', 'bravo');

    const result = await cli('submit', '--prefix', 'batch-1', a, b);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const s3Paths = [`s3://${ctx.resources.bucketName}/data/input/batch-1/a.txt`, `s3://${ctx.resources.bucketName}/data/input/batch-1/b c.txt`];
    expect(await inputKeys()).toEqual(['data/input/batch-1/a.txt', 'data/input/batch-1/b c.txt']);
    const body = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucketName, Key: 'data/input/batch-1/b c.txt' }));
    expect(await body.Body?.transformToString()).toBe('bravo');
    const written = await rows();
    expect(written.map((row) => row[ItemAttribute.s3Path]).sort()).toEqual(s3Paths);
    expect(written.every((row) => row[ItemAttribute.status] === ItemStatus.PENDING)).toBe(true);
    // Each submission carries its own request token (what makes a later resubmission unambiguous to the worker).
    const tokens = written.map((row) => row[ItemAttribute.requestToken]);
    expect(tokens).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    expect(new Set(tokens).size).toBe(tokens.length);
    // The printed ids are the rows' ids.
    for (const row of written) expect(result.stdout).toContain(`PENDING ${row[ItemAttribute.id]} ${row[ItemAttribute.s3Path]}`);
    expect(result.stdout).toContain('submitted 2 of 2');
  });

  it('names a processor of the deployment on every row with --processor, and refuses one it lacks before writing anything', async () => {
    const catalog = { ...COPY_ONLY_CATALOG, processors: { ...COPY_ONLY_CATALOG.processors, mirror: { type: ProcessorType.copy } } };
    await putObject(PROCESSOR_CATALOG_KEY, JSON.stringify(catalog));
    const a = localFile('a.txt', 'alpha');

    const refused = await cli('submit', '--processor', 'ocr', a);
    const accepted = await cli('submit', '--processor', 'mirror', a);

    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--processor ocr: not configured in this deployment; its processors are copy, mirror');
    expect(accepted).toMatchObject({ code: 0, stderr: '' });
    expect((await rows()).map((row) => row[ItemAttribute.processor])).toEqual(['mirror']);
  });

  it('knows only copy when the stack uploaded no catalog', async () => {
    const refused = await cli('submit', '--processor', 'mirror', localFile('a.txt', 'alpha'));

    expect(refused.stderr).toContain('--processor mirror: not configured in this deployment; its processors are copy');
    expect(await rows()).toEqual([]);
  });

  it('writes a row for an object already under data/input/ without uploading anything', async () => {
    await putObject('data/input/already/there.csv', 'x');

    const result = await cli('submit', `s3://${ctx.resources.bucketName}/data/input/already/there.csv`);

    expect(result.code).toBe(0);
    expect(await rows()).toEqual([
      expect.objectContaining({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: `s3://${ctx.resources.bucketName}/data/input/already/there.csv` }),
    ]);
    expect(await inputKeys()).toEqual(['data/input/already/there.csv']);
  });

  it('writes nothing when any argument is bad, and names each bad one', async () => {
    const good = localFile('good.txt', 'g');
    const outside = `s3://${ctx.resources.bucketName}/data/output/x.txt`;
    const missing = `s3://${ctx.resources.bucketName}/data/input/missing.txt`;

    const result = await cli('submit', good, outside, path.join(ctx.dir, 'nope.txt'));
    const second = await cli('submit', good, missing);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${outside}: s3_path must be under s3://${ctx.resources.bucketName}/data/input/`);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${missing}: no such object`);
    const third = await cli('submit', good, path.join(ctx.dir, 'nope.txt'));
    expect(third.stderr).toContain(`${path.join(ctx.dir, 'nope.txt')}: no such file`);
    expect(await rows()).toEqual([]);
    expect(await inputKeys()).toEqual([]);
  });

  it('refuses to replace an existing object unless --overwrite is given', async () => {
    await putObject('data/input/a.txt', 'old');
    const a = localFile('a.txt', 'new');

    const refused = await cli('submit', a);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`s3://${ctx.resources.bucketName}/data/input/a.txt already exists (--overwrite replaces it)`);
    expect(await rows()).toEqual([]);

    const replaced = await cli('submit', '--overwrite', a);
    expect(replaced.code).toBe(0);
    const body = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucketName, Key: 'data/input/a.txt' }));
    expect(await body.Body?.transformToString()).toBe('new');
    expect(await rows()).toHaveLength(1);
  });

  it('reports what was and was not written when the rows cannot be written, and removes the orphan upload', async () => {
    const files = ['1.txt', '2.txt', '3.txt'].map((name) => localFile(name, name));
    await ctx.clients.documents.send(new DeleteTableCommand({ TableName: ctx.resources.tableName }));

    const result = await cli('submit', '--concurrency', '1', ...files);

    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      'submitted 0 of 3; NOT submitted:',
      expect.stringMatching(new RegExp(`^  ${files[0]}: row not written: ResourceNotFoundException`)),
      `  ${files[1]}: not attempted`,
      `  ${files[2]}: not attempted`,
      '',
    ]);
    await expect(ctx.clients.s3.send(new HeadObjectCommand({ Bucket: ctx.resources.bucketName, Key: 'data/input/1.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('status', () => {
  it('counts rows per status from the index and lists the latest FAILED rows with their reasons', async () => {
    await putRow({ id: 'p1', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/p1' });
    await putRow({ id: 'p2', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/p2' });
    await putRow({ id: 'ok', status: ItemStatus.FINISHED, s3_path: 's3://b/data/input/ok' });
    await putRow({ id: 'f-old', status: ItemStatus.FAILED, s3_path: 's3://b/data/input/f1', failure_reason: 'NoSuchKey', finished_at: '2026-01-01T00:00:00.000Z' });
    await putRow({ id: 'f-new', status: ItemStatus.FAILED, s3_path: 's3://b/data/input/f2', failure_reason: 'AccessDenied', finished_at: '2026-02-01T00:00:00.000Z' });
    await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.dlqUrl, MessageBody: '{}' }));

    const result = await cli('status', '--failed-limit', '1');

    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'PENDING   2',
      'FINISHED  1',
      'FAILED    2',
      'queue: 0 waiting, 0 in flight',
      'dead-letter queue: 1 messages',
      'recent FAILED rows:',
      '  f-new  2026-02-01T00:00:00.000Z  -  s3://b/data/input/f2  AccessDenied',
      '',
    ]);
  });
});

describe('status --cost', () => {
  it('estimates what the finished rows cost from their worker time and public prices, Spot against on-demand', async () => {
    const now = Date.now();
    const recent = new Date(now - 10 * 60_000).toISOString();
    const usage = (id: string, status: string, extra: Record<string, unknown>) =>
      ctx.clients.documents.send(
        new PutCommand({ TableName: ctx.resources.tableName, Item: { id, status, s3_path: `s3://b/data/input/${id}`, finished_at: recent, ...extra } }),
      );
    await usage('spot-1', ItemStatus.FINISHED, { instance_type: 'c6i.large', purchase_option: 'spot', instance_seconds: 3600, processing_seconds: 3500, interruptions: 2 });
    await usage('od-1', ItemStatus.FAILED, { instance_type: 'c6i.large', purchase_option: 'on-demand', instance_seconds: 1800, processing_seconds: 1700 });
    await usage('old', ItemStatus.FINISHED, { instance_type: 'c6i.large', purchase_option: 'on-demand', instance_seconds: 36_000, finished_at: '2026-01-01T00:00:00.000Z' });
    await putRow({ id: 'pending', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/p' });

    const batch = await cli('status', '--cost', '--since', '1h', '--spot-ratio', '0.4');
    const detail = await cli('status', 'spot-1');
    const misuse = await cli('status', '--since', '1h');

    expect(batch.code).toBe(0);
    const cost = batch.stdout.slice(batch.stdout.indexOf('cost estimate'));
    expect(cost).toContain('cost estimate for 2 FINISHED or FAILED rows (finished since');
    expect(cost).toContain('  c6i.large on-demand: 1 rows, 0.500 h of worker time × $0.09/h = $0.04');
    expect(cost).toContain('  c6i.large spot: 1 rows, 1.000 h of worker time × $0.03/h = $0.03');
    // 0.5 h × $0.085 + 1 h × $0.085 × 0.4 = $0.0765; all on-demand: 1.5 h × $0.085 = $0.1275.
    expect(cost).toContain('  total $0.08 (all on-demand: $0.13; Spot taken as 40% of on-demand)');
    expect(cost).toContain('interruptions 2 on 1 rows');
    expect(detail.stdout).toContain('instance_type       c6i.large');
    expect(detail.stdout).toContain('purchase_option     spot');
    expect(detail.stdout).toMatch(/estimated_cost +\$0\.045050 \(c6i\.large spot at \$0\.0451\/h\)/);
    expect(misuse.code).not.toBe(0);
    expect(misuse.stderr).toContain('--since and --spot-ratio apply to --cost only');
  });
});

describe('status <id>', () => {
  it('shows one row with its processor and outputs', async () => {
    await ctx.clients.documents.send(
      new PutCommand({
        TableName: ctx.resources.tableName,
        Item: {
          id: 'r1',
          status: ItemStatus.FINISHED,
          s3_path: 's3://b/data/input/x.txt',
          processed_by: 'copy',
          output_path: 's3://b/data/output/x.txt',
          output_count: 1,
          output_keys: ['data/output/x.txt'],
        },
      }),
    );

    const shown = await cli('status', 'r1');
    const missing = await cli('status', 'nope');

    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('processor           copy');
    expect(shown.stdout).toContain('output_count        1');
    expect(shown.stdout).toContain('outputs:\n  data/output/x.txt');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no row with id "nope"');
  });
});

describe('status and retry --failed without a status index (PIPELINE_STATUS_INDEX=false)', () => {
  // A table as the stack makes it with the setting off: no GSI; the outputs file says so with an empty output.
  beforeEach(async () => {
    await ctx.clients.documents.send(new DeleteTableCommand({ TableName: ctx.resources.tableName }));
    await ctx.clients.documents.send(new CreateTableCommand(stackResourceRequests({ baseName: 'ops', statusIndex: false }).table));
    const outputs = JSON.parse(readFileSync(path.join(ctx.dir, 'outputs.json'), 'utf8'));
    outputs['rag-pipeline'].status_index_name = '';
    writeFileSync(path.join(ctx.dir, 'outputs.json'), JSON.stringify(outputs));
  });

  it('counts and lists by scanning the table, and retries every FAILED row', async () => {
    await putRow({ id: 'p1', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/p1' });
    await putRow({ id: 'ok', status: ItemStatus.FINISHED, s3_path: 's3://b/data/input/ok' });
    for (const id of ['f1', 'f2']) {
      await putRow({ id, status: ItemStatus.FAILED, s3_path: `s3://b/data/input/${id}`, failure_reason: 'NoSuchKey', finished_at: '2026-01-01T00:00:00.000Z' });
    }

    const status = await cli('status');
    const retried = await cli('retry', '--failed');

    expect(status.code).toBe(0);
    expect(status.stdout.split('\n').slice(0, 3)).toEqual(['PENDING   1', 'FINISHED  1', 'FAILED    2']);
    expect(retried.stdout).toContain('set 2 FAILED rows back to PENDING');
    expect((await rows()).filter((row) => row[ItemAttribute.status] === ItemStatus.PENDING)).toHaveLength(3);
  });
});

describe('retry', () => {
  const failedRow = (id: string) =>
    putRow({ id, status: ItemStatus.FAILED, s3_path: `s3://b/data/input/${id}`, failure_reason: 'boom', finished_at: '2026-01-01T00:00:00Z', worker_instance_id: 'i-0123456789abcdef0' });
  const row = async (id: string) =>
    (await ctx.clients.documents.send(new GetCommand({ TableName: ctx.resources.tableName, Key: { id } }))).Item;

  it('sets one FAILED row back to PENDING and clears its previous outcome', async () => {
    await failedRow('r1');

    const result = await cli('retry', 'r1');

    expect(result).toMatchObject({ code: 0, stdout: 'PENDING r1\n' });
    expect(await row('r1')).toEqual({ id: 'r1', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/r1' });
  });

  it('--failed retries every FAILED row and leaves the others alone', async () => {
    await failedRow('r1');
    await failedRow('r2');
    await putRow({ id: 'done', status: ItemStatus.FINISHED, s3_path: 's3://b/data/input/done' });

    const result = await cli('retry', '--failed');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('set 2 FAILED rows back to PENDING');
    expect((await row('r1'))?.status).toBe(ItemStatus.PENDING);
    expect((await row('r2'))?.status).toBe(ItemStatus.PENDING);
    expect((await row('done'))?.status).toBe(ItemStatus.FINISHED);
  });

  it('names an unknown id and a row that is not FAILED, and changes nothing', async () => {
    await putRow({ id: 'done', status: ItemStatus.FINISHED, s3_path: 's3://b/data/input/done' });

    const unknown = await cli('retry', 'ghost');
    const finished = await cli('retry', 'done');

    expect(unknown).toMatchObject({ code: 1, stderr: `pipeline: no row with id "ghost" in table ${ctx.resources.tableName}\n` });
    expect(finished).toMatchObject({ code: 1, stderr: 'pipeline: row "done" is FINISHED, not FAILED: only FAILED rows can be retried\n' });
    expect((await row('done'))?.status).toBe(ItemStatus.FINISHED);
    expect(await row('ghost')).toBeUndefined();
  });
});

describe('redrive', () => {
  it('moves every dead-letter message back to the work queue, bodies and attributes intact', async () => {
    const bodies = ['{"n":1}', '{"n":2}', '{"n":3}'];
    for (const body of bodies) {
      await ctx.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: ctx.resources.dlqUrl, MessageBody: body, MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } } }),
      );
    }

    const result = await cli('redrive');

    expect(result).toMatchObject({ code: 0, stdout: 'moved 3 messages from the dead-letter queue to the work queue\n' });
    const moved = await ctx.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: ctx.resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    expect((moved.Messages ?? []).map((message) => message.Body).sort()).toEqual(bodies);
    expect(moved.Messages?.[0].MessageAttributes?.origin?.StringValue).toBe('test');
    const left = await ctx.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.resources.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(left.Messages ?? []).toEqual([]);
  });

  it('--max moves at most that many', async () => {
    for (const n of [1, 2, 3]) await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.dlqUrl, MessageBody: String(n) }));

    const result = await cli('redrive', '--max', '2');

    expect(result.stdout).toBe('moved 2 messages from the dead-letter queue to the work queue\n');
    const moved = await ctx.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(moved.Messages ?? []).toHaveLength(2);
  });
});

describe('logs', () => {
  const first = 'i-0123456789abcdef0';
  const second = 'i-0fedcba9876543210';

  it('lists the instances that have logs, not the boot-failure markers beside them', async () => {
    await putObject(`${LOGS_PREFIX}${first}/sqs_worker.logs`, '{"event":"a"}\n');
    await putObject(`${LOGS_PREFIX}${second}/sqs_worker.logs`, '{"event":"b"}\n');
    await putObject(`${BOOT_FAILURES_PREFIX}2026-11-27T12-00-00-000Z-${second}.json`, '{"status":1}');

    const result = await cli('logs');

    expect(result).toMatchObject({ code: 0, stdout: `${first}\n${second}\n` });
  });

  it("prints an instance's log objects to stdout, with the object names on stderr", async () => {
    await putObject(`${LOGS_PREFIX}${first}/1.log`, '{"event":"worker.started"}\n');
    await putObject(`${LOGS_PREFIX}${first}/2.log`, '{"event":"worker.stopped"}');

    const result = await cli('logs', first);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"event":"worker.started"}\n{"event":"worker.stopped"}\n');
    expect(result.stderr).toBe(
      `==> s3://${ctx.resources.bucketName}/logs/${first}/1.log <==\n==> s3://${ctx.resources.bucketName}/logs/${first}/2.log <==\n`,
    );
  });

  it('names an instance without logs', async () => {
    const result = await cli('logs', second);

    expect(result).toMatchObject({ code: 1, stderr: `pipeline: no logs for instance ${second} under s3://${ctx.resources.bucketName}/logs/${second}/\n` });
  });
});

describe('logs --orchestrator', () => {
  const minutesAgo = (minutes: number) => Date.now() - minutes * 60_000;
  const streamA = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef';
  const streamB = '2026/11/27/[$LATEST]fedcba9876543210fedcba9876543210';
  const putEvents = async (logStreamName: string, events: { timestamp: number; message: string }[]) => {
    await ctx.clients.logs.send(new CreateLogStreamCommand({ logGroupName: ctx.resources.logGroupName, logStreamName })).catch(() => undefined);
    await ctx.clients.logs.send(new PutLogEventsCommand({ logGroupName: ctx.resources.logGroupName, logStreamName, logEvents: events }));
  };
  const header = (stream: string) => `==> ${ctx.resources.logGroupName} ${stream} <==\n`;

  beforeEach(async () => {
    await putEvents(streamA, [
      { timestamp: minutesAgo(20), message: 'START RequestId: old Version: $LATEST' },
      { timestamp: minutesAgo(5), message: '{"event":"orchestrator.queue.empty"}' },
      { timestamp: minutesAgo(5) + 1, message: 'END RequestId: r1' },
    ]);
    await putEvents(streamB, [{ timestamp: minutesAgo(2), message: '{"event":"worker_launched"}' }]);
  });

  it('prints the last 10 minutes of the log group, oldest first, naming each stream on stderr', async () => {
    const result = await cli('logs', '--orchestrator');

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"event":"orchestrator.queue.empty"}\nEND RequestId: r1\n{"event":"worker_launched"}\n');
    expect(result.stderr).toBe(`${header(streamA)}${header(streamB)}`);
  });

  it('--since reaches further back', async () => {
    const result = await cli('logs', '--orchestrator', '--since', '30m');

    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('START RequestId: old Version: $LATEST');
    expect(result.stdout.split('\n')).toHaveLength(5);
  });

  it('says so when the window holds no line', async () => {
    const result = await cli('logs', '--orchestrator', '--since', '1m');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^no orchestrator log lines in ${ctx.resources.logGroupName} since \\d{4}-\\d{2}-\\d{2}T\\S+Z\n$`));
  });

  it('names a log group that does not exist', async () => {
    const file = path.join(ctx.dir, 'other.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(path.join(ctx.dir, 'outputs.json'), 'utf8'))['rag-pipeline'], lambda_log_group_name: '/aws/lambda/gone' }));

    const result = await cli('--outputs', file, 'logs', '--orchestrator');

    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'pipeline: no log group /aws/lambda/gone: The specified log group does not exist.\n' });
  });

  it('names the missing output in an outputs file written before it existed', async () => {
    const file = path.join(ctx.dir, 'older.json');
    const older = JSON.parse(readFileSync(path.join(ctx.dir, 'outputs.json'), 'utf8'))['rag-pipeline'];
    delete older.lambda_log_group_name;
    writeFileSync(file, JSON.stringify(older));

    const result = await cli('--outputs', file, 'logs', '--orchestrator');

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'pipeline: the outputs file has no lambda_log_group_name output: write it again with "npx cdktf output --outputs-file outputs.json"\n',
    );
  });

  it.each([
    { case: 'an instance id with --orchestrator', args: ['logs', 'i-0123456789abcdef0', '--orchestrator'], error: 'logs takes an instance id or --orchestrator, not both' },
    { case: 'a --since that is not a duration', args: ['logs', '--orchestrator', '--since', 'yesterday'], error: '--since must be a duration such as 30s, 10m, 2h or 1d, got "yesterday"' },
    { case: '--since without --orchestrator', args: ['logs', '--since', '10m'], error: '--since applies to --orchestrator only' },
  ])('refuses $case', async ({ args, error }) => {
    expect(await cli(...args)).toMatchObject({ code: 1, stdout: '', stderr: `pipeline: ${error}\n` });
  });
});

describe('events', () => {
  const itemEvent = (id: string, status: string, extra: Record<string, string>) =>
    JSON.stringify({ 'detail-type': 'Item Status Changed', source: 'rag-file-pipeline', time: '2026-11-27T13:38:24Z', detail: { schema_version: 1, id, status, ...extra } });
  const send = (body: string) => ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.eventsQueueUrl, MessageBody: body }));
  const visible = async () => (await readQueueDepth(ctx.clients.sqs, ctx.resources.eventsQueueUrl)).visible;

  it('shows the outcome events oldest first and leaves them in the queue', async () => {
    await send(itemEvent('a', 'FINISHED', { output_path: 's3://b/data/output/a.txt' }));
    await send(itemEvent('b', 'FAILED', { reason: 'input not found' }));

    const result = await cli('events');

    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      '2026-11-27T13:38:24Z  FINISHED  a  s3://b/data/output/a.txt',
      '2026-11-27T13:38:24Z  FAILED  b  input not found',
    ]);
    expect(result.stderr).toContain('2 event(s) left in the queue');
    expect(await visible()).toBe(2);
  });

  it('deletes what it shows with --consume, and shows at most --max', async () => {
    for (const id of ['a', 'b', 'c']) await send(itemEvent(id, 'FINISHED', { output_path: `s3://b/data/output/${id}.txt` }));

    const first = await cli('events', '--consume', '--max', '2', '--json');
    const rest = await cli('events', '--consume');

    expect(first.stdout.trim().split('\n').map((line) => JSON.parse(line).detail.id)).toHaveLength(2);
    expect(rest.stdout.trim().split('\n')).toHaveLength(1);
    expect(await visible()).toBe(0);
    expect((await cli('events')).stdout).toBe(`no events in ${ctx.resources.eventsQueueUrl}\n`);
  });

  it('says how to create an outcome queue when the stack has none', async () => {
    const outputs = JSON.parse(readFileSync(path.join(ctx.dir, 'outputs.json'), 'utf8'));
    delete outputs['rag-pipeline'].events_queue_url;
    writeFileSync(path.join(ctx.dir, 'outputs.json'), JSON.stringify(outputs));

    const result = await cli('events');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PIPELINE_EVENTS_QUEUE=true');
  });
});
