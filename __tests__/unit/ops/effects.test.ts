import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { COPY_ONLY_CATALOG, ItemStatus, PROCESSOR_CATALOG_KEY, ProcessorType, STATUS_INDEX_NAME } from '../../../contracts';
import { readDeployedCatalog } from '../../../ops/effects/processors';
import { redrive } from '../../../ops/effects/redrive';
import { retryRow } from '../../../ops/effects/retry';
import { countByStatus } from '../../../ops/effects/status';
import { preflight, submitTargets, type SubmitDeps } from '../../../ops/effects/submit';
import type { SubmitTarget } from '../../../ops/submit-plan';

const s3Mock = mockClient(S3Client);
const documentsMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

beforeEach(() => {
  s3Mock.reset();
  documentsMock.reset();
  sqsMock.reset();
});

describe('submitTargets', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'submit-effects-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const targets = (names: string[]): SubmitTarget[] =>
    names.map((name) => {
      const file = path.join(dir, name);
      writeFileSync(file, name);
      return { source: file, localFile: file, key: `data/input/${name}`, s3Path: `s3://b/data/input/${name}` };
    });
  const deps = (overrides: Partial<SubmitDeps> = {}): SubmitDeps => {
    let n = 0;
    return {
      s3: new S3Client({ region: 'us-east-1' }),
      documents,
      tableName: 'items',
      bucketName: 'b',
      overwrite: false,
      concurrency: 1,
      newId: () => `id-${++n}`,
      newRequestToken: () => `token-${n}`,
      ...overrides,
    };
  };

  it('uploads without replacing, then writes a PENDING row that cannot overwrite another', async () => {
    const [a] = targets(['a.txt']);

    const outcome = await submitTargets([a], deps());

    expect(outcome).toEqual({ submitted: [{ target: a, id: 'id-1' }], failure: undefined, notAttempted: [] });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'b', Key: 'data/input/a.txt', IfNoneMatch: '*' });
    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'items',
      Item: { id: 'id-1', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/a.txt', request_token: 'token-1' },
      ConditionExpression: 'attribute_not_exists(#id)',
    });
  });

  it('stops at the first failed row, removes that upload, and reports the rest as not attempted', async () => {
    const [a, b, c] = targets(['a.txt', 'b.txt', 'c.txt']);
    documentsMock.on(PutCommand).resolvesOnce({}).rejectsOnce(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));

    const outcome = await submitTargets([a, b, c], deps());

    expect(outcome).toEqual({
      submitted: [{ target: a, id: 'id-1' }],
      failure: { target: b, reason: 'row not written: ProvisionedThroughputExceededException: throttled', objectLeftBehind: false },
      notAttempted: [c],
    });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: 'b', Key: 'data/input/b.txt' });
  });

  it('keeps an overwritten object (its old content is gone) and says it has no row', async () => {
    const [a] = targets(['a.txt']);
    documentsMock.on(PutCommand).rejects(new Error('denied'));

    const outcome = await submitTargets([a], deps({ overwrite: true }));

    expect(outcome.failure).toMatchObject({ target: a, objectLeftBehind: true });
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).not.toHaveProperty('IfNoneMatch');
  });

  it('names the processor on every row when asked to', async () => {
    const [a] = targets(['a.txt']);

    await submitTargets([a], deps({ processor: 'scan', knownProcessors: ['copy', 'scan'] }));

    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      Item: { id: 'id-1', status: ItemStatus.PENDING, s3_path: 's3://b/data/input/a.txt', request_token: 'token-1', processor: 'scan' },
    });
  });

  it('refuses, before anything is written, a processor the deployment does not have', async () => {
    const [a] = targets(['a.txt']);
    s3Mock.on(HeadObjectCommand).rejects(Object.assign(new Error('NotFound'), { $metadata: { httpStatusCode: 404 } }));

    await expect(preflight([a], deps({ processor: 'ocr', knownProcessors: ['copy', 'scan'] }))).rejects.toThrow(
      '--processor ocr: not configured in this deployment; its processors are copy, scan',
    );
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('names an object that appeared after the preflight check', async () => {
    const [a] = targets(['a.txt']);
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('PreconditionFailed'), { $metadata: { httpStatusCode: 412 } }));

    const outcome = await submitTargets([a], deps());

    expect(outcome.failure?.reason).toBe('s3://b/data/input/a.txt already exists');
    expect(documentsMock).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('readDeployedCatalog', () => {
  // The one method of a response body the reader uses.
  const body = (text: string) => ({ transformToString: async () => text }) as never;

  it('reads the catalog the stack uploaded', async () => {
    const catalog = { ...COPY_ONLY_CATALOG, processors: { ...COPY_ONLY_CATALOG.processors, scan: { type: ProcessorType.copy } } };
    s3Mock.on(GetObjectCommand, { Bucket: 'b', Key: PROCESSOR_CATALOG_KEY }).resolves({ Body: body(JSON.stringify(catalog)) });

    await expect(readDeployedCatalog(new S3Client({ region: 'us-east-1' }), 'b')).resolves.toEqual(catalog);
  });

  it('knows only copy when the stack uploaded no catalog', async () => {
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));

    await expect(readDeployedCatalog(new S3Client({ region: 'us-east-1' }), 'b')).resolves.toEqual(COPY_ONLY_CATALOG);
  });

  it('passes on any other error', async () => {
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('AccessDenied'), { $metadata: { httpStatusCode: 403 } }));

    await expect(readDeployedCatalog(new S3Client({ region: 'us-east-1' }), 'b')).rejects.toThrow('AccessDenied');
  });
});

describe('countByStatus', () => {
  it('counts every page of the status index for each status', async () => {
    documentsMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': ItemStatus.PENDING } })
      .resolvesOnce({ Count: 3, LastEvaluatedKey: { id: 'x' } })
      .resolvesOnce({ Count: 2 });
    documentsMock.on(QueryCommand, { ExpressionAttributeValues: { ':status': ItemStatus.FINISHED } }).resolves({ Count: 7 });
    documentsMock.on(QueryCommand, { ExpressionAttributeValues: { ':status': ItemStatus.FAILED } }).resolves({ Count: 0 });

    expect(await countByStatus(documents, { tableName: 'items', statusIndexName: STATUS_INDEX_NAME })).toEqual({ PENDING: 5, FINISHED: 7, FAILED: 0 });
    expect(documentsMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'items',
      IndexName: STATUS_INDEX_NAME,
      Select: 'COUNT',
      KeyConditionExpression: '#status = :status',
      ExclusiveStartKey: { id: 'x' },
    });
  });
});

describe('countByStatus without a status index', () => {
  it('scans the table once, in parallel segments, and counts every status', async () => {
    documentsMock.on(ScanCommand).callsFake((input: { Segment: number }) => ({
      Items: input.Segment === 0 ? [{ status: 'PENDING' }, { status: 'FINISHED' }, { status: 'pending' }] : [{ status: 'FAILED' }],
    }));

    expect(await countByStatus(documents, { tableName: 'items' })).toEqual({ PENDING: 1, FINISHED: 1, FAILED: 3 });
    expect(documentsMock).not.toHaveReceivedCommand(QueryCommand);
    const segments = documentsMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(segments.map(({ Segment, TotalSegments, TableName }) => ({ Segment, TotalSegments, TableName }))).toEqual(
      [0, 1, 2, 3].map((Segment) => ({ Segment, TotalSegments: 4, TableName: 'items' })),
    );
    expect(segments[0]).not.toHaveProperty('IndexName');
  });
});

describe('retryRow', () => {
  it('updates only a FAILED row and clears its previous outcome', async () => {
    documentsMock.on(UpdateCommand).resolves({});

    await retryRow(documents, 'items', 'r1');

    expect(documentsMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'r1' },
      ConditionExpression: '#status = :failed',
      UpdateExpression: 'SET #status = :pending REMOVE #reason, #finishedAt, #worker',
      ExpressionAttributeValues: { ':pending': ItemStatus.PENDING, ':failed': ItemStatus.FAILED },
    });
  });

  it('rethrows errors other than the failed condition', async () => {
    documentsMock.on(UpdateCommand).rejects(Object.assign(new Error('no access'), { name: 'AccessDeniedException' }));

    await expect(retryRow(documents, 'items', 'r1')).rejects.toThrow('no access');
  });
});

describe('redrive', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });

  it('deletes from the dead-letter queue only the messages the work queue accepted', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ Body: 'one', ReceiptHandle: 'h1' }, { Body: 'two', ReceiptHandle: 'h2' }] })
      .resolves({ Messages: [] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '1', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [{ Id: '0', Code: 'x', SenderFault: false }] });

    const outcome = await redrive(sqs, { deadLetterQueueUrl: 'dlq', queueUrl: 'work' });

    expect(outcome).toEqual({ moved: 1, failed: 1 });
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, { QueueUrl: 'dlq', Entries: [{ Id: '0', ReceiptHandle: 'h2' }] });
  });

  it('asks for no more than --max allows', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [{ Body: 'one', ReceiptHandle: 'h1' }] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }] });

    const outcome = await redrive(sqs, { deadLetterQueueUrl: 'dlq', queueUrl: 'work', max: 2 });

    expect(outcome).toEqual({ moved: 2, failed: 0 });
    expect(sqsMock.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input.MaxNumberOfMessages)).toEqual([2, 1]);
  });
});
