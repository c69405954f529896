import { Readable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { INPUT_PREFIX, ItemAttribute, ItemStatus, OUTPUT_PREFIX } from '../../../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulator, type Emulator } from '../../../local/emulator/moto';
import type { WorkerClients } from '../../../worker/clients';
import type { WorkerConfig } from '../../../worker/config';
import { runWorker } from '../../../worker/main';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  submitRow,
  temporaryLogPath,
  type TestPipeline,
} from '../../support/worker-fixtures';
import { recordingLogger } from '../../support/worker-logger';

jest.setTimeout(120_000);

/**
 * Faults injected between the worker's real SDK clients and moto: a request matching `matches` gets a canned
 * error response instead of reaching the emulator, `times` times. Everything else (the SDK's retries, the
 * worker's classification, SQS redelivery) is the real thing.
 */
interface Fault {
  readonly matches: (request: { method: string; headers: Record<string, string> }) => boolean;
  readonly times: number;
  readonly response: { readonly statusCode: number; readonly headers: Record<string, string>; readonly body: string };
}

function faultyHandler(faults: Fault[]) {
  const inner = new NodeHttpHandler();
  const injected = faults.map(() => 0);
  return {
    injected,
    handler: {
      handle(request: { method: string; headers: Record<string, string> }, options?: unknown) {
        const index = faults.findIndex((fault, i) => injected[i] < fault.times && fault.matches(request));
        if (index === -1) return inner.handle(request as never, options as never);
        injected[index] += 1;
        const { statusCode, headers, body } = faults[index].response;
        return Promise.resolve({ response: { statusCode, headers, body: Readable.from([Buffer.from(body)]) } });
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => inner.destroy(),
    },
  };
}

const S3_SLOW_DOWN: Fault['response'] = {
  statusCode: 503,
  headers: { 'content-type': 'application/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
};
const DYNAMODB_THROTTLED: Fault['response'] = {
  statusCode: 400,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  }),
};
const isCopyObject = (request: { method: string; headers: Record<string, string> }) =>
  request.method === 'PUT' && 'x-amz-copy-source' in request.headers;
const isUpdateItem = (request: { headers: Record<string, string> }) =>
  request.headers['x-amz-target'] === 'DynamoDB_20120810.UpdateItem';

let emulator: Emulator;
let pipeline: TestPipeline | undefined;
let clients: WorkerClients | undefined;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterEach(async () => {
  clients?.s3.destroy();
  clients?.sqs.destroy();
  clients?.documentClient.destroy();
  clients = undefined;
  destroyTestPipeline(pipeline);
  pipeline = undefined;
  await emulator.reset();
});

afterAll(async () => {
  await emulator?.stop();
});

/** Runs the worker in-process against moto with faults injected, until it stops on its own when idle. */
async function runWithFaults(p: TestPipeline, faults: { s3?: Fault[]; dynamodb?: Fault[] }, visibilityTimeoutSeconds = 30) {
  const s3Faults = faultyHandler(faults.s3 ?? []);
  const dynamodbFaults = faultyHandler(faults.dynamodb ?? []);
  const common = {
    endpoint: p.endpoint,
    region: EMULATOR_REGION,
    credentials: {
      accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      sessionToken: EMULATOR_CREDENTIALS.AWS_SESSION_TOKEN,
    },
    // As in worker/clients.ts: the standard retry mode with 5 attempts.
    maxAttempts: 5,
  };
  clients = {
    s3: new S3Client({ ...common, forcePathStyle: true, requestHandler: s3Faults.handler }),
    sqs: new SQSClient(common),
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, requestHandler: dynamodbFaults.handler })),
  };
  const logPath = temporaryLogPath();
  writeFileSync(logPath, '');
  const config: WorkerConfig = {
    queueUrl: p.queueUrl,
    tableName: p.tableName,
    bucketName: p.bucketName,
    region: EMULATOR_REGION,
    instanceId: 'i-0123456789abcdef0',
    idleTimeoutMs: 4_000,
    concurrency: 4,
    visibilityTimeoutSeconds,
    multipartThresholdBytes: 5 * 1024 ** 3,
    logPath,
    endpoint: p.endpoint,
  };
  const { logger, events } = recordingLogger();
  const exitCode = await runWorker(config, clients, logger);
  return { exitCode, events, s3Injected: s3Faults.injected, dynamodbInjected: dynamodbFaults.injected };
}

async function prepareRow(p: TestPipeline, id: string) {
  await p.s3.send(new PutObjectCommand({ Bucket: p.bucketName, Key: `${INPUT_PREFIX}${id}.txt`, Body: `contents of ${id}` }));
  await submitRow(p, id, inputPath(p, `${id}.txt`));
}

async function status(p: TestPipeline, id: string) {
  const { Item } = await p.documents.send(
    new GetCommand({ TableName: p.tableName, Key: { [ItemAttribute.id]: id }, ConsistentRead: true }),
  );
  return Item?.[ItemAttribute.status];
}

describe('worker under injected faults (emulator)', () => {
  it('an S3 copy that fails transiently is retried by the SDK and the row ends FINISHED', async () => {
    pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await prepareRow(pipeline, 'slow-1');

    const { exitCode, events, s3Injected } = await runWithFaults(pipeline, {
      s3: [{ matches: isCopyObject, times: 2, response: S3_SLOW_DOWN }],
    });

    expect(exitCode).toBe(0);
    expect(s3Injected).toEqual([2]);
    expect(await status(pipeline, 'slow-1')).toBe(ItemStatus.FINISHED);
    expect(events.map((event) => event.event)).not.toContain('message_retry');
    const { Body } = await pipeline.s3.send(
      new GetObjectCommand({ Bucket: pipeline.bucketName, Key: `${OUTPUT_PREFIX}slow-1.txt` }),
    );
    expect(await Body!.transformToString()).toBe('contents of slow-1');
  });

  it('an S3 copy that outlasts the SDK retries is left for redelivery, then succeeds on the next receive', async () => {
    pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 2 });
    await prepareRow(pipeline, 'slow-2');

    const { events, s3Injected } = await runWithFaults(
      pipeline,
      { s3: [{ matches: isCopyObject, times: 5, response: S3_SLOW_DOWN }] },
      2,
    );

    expect(s3Injected).toEqual([5]);
    expect(events.filter((event) => event.event === 'message_retry')).toHaveLength(1);
    expect(events.filter((event) => event.event === 'message_received').map((event) => event.receive_count)).toEqual([1, 2]);
    expect(await status(pipeline, 'slow-2')).toBe(ItemStatus.FINISHED);
  });

  it('DynamoDB throttling on the status write is retried and the row ends FINISHED once', async () => {
    pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await prepareRow(pipeline, 'throttled');

    const { events, dynamodbInjected } = await runWithFaults(pipeline, {
      dynamodb: [{ matches: isUpdateItem, times: 2, response: DYNAMODB_THROTTLED }],
    });

    expect(dynamodbInjected).toEqual([2]);
    expect(await status(pipeline, 'throttled')).toBe(ItemStatus.FINISHED);
    expect(events.filter((event) => event.event === 'item_finished')).toHaveLength(1);
  });
});
