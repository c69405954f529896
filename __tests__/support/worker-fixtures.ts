import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus, WorkerEnv, ENDPOINT_ENV, INPUT_PREFIX } from '../../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../local/emulator/moto';
import { REPO_ROOT } from '../../local/emulator/paths';
import { streamRecordBody } from './worker-records';

export interface TestPipeline {
  readonly endpoint: string;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucketName: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
}

export interface PipelineOptions {
  readonly visibilityTimeoutSeconds: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
}

/** Creates the table, the queue with its DLQ and redrive, and a versioned bucket, with the SDK directly. */
export async function createTestPipeline(endpoint: string, options: PipelineOptions): Promise<TestPipeline> {
  const clientConfig = {
    endpoint,
    region: EMULATOR_REGION,
    credentials: {
      accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      sessionToken: EMULATOR_CREDENTIALS.AWS_SESSION_TOKEN,
    },
  };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const sqs = new SQSClient(clientConfig);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
  const tableName = 'worker-test-items';
  const bucketName = 'worker-test-bucket';
  await documents.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: ItemAttribute.id, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: ItemAttribute.id, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'worker-test-dlq' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'worker-test-queue',
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucketName, VersioningConfiguration: { Status: 'Enabled' } }));
  return { endpoint, tableName, queueUrl: queueUrl!, dlqUrl: dlqUrl!, bucketName, s3, sqs, documents };
}

export function destroyTestPipeline(pipeline: TestPipeline | undefined): void {
  pipeline?.s3.destroy();
  pipeline?.sqs.destroy();
  pipeline?.documents.destroy();
}

export function inputPath(pipeline: TestPipeline, rest: string): string {
  return `s3://${pipeline.bucketName}/${INPUT_PREFIX}${rest}`;
}

/** Writes a PENDING row and sends the message the pipe would send for it. */
export async function submitRow(pipeline: TestPipeline, id: string, s3Path: string): Promise<void> {
  const row = { [ItemAttribute.id]: id, [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: s3Path };
  await pipeline.documents.send(new PutCommand({ TableName: pipeline.tableName, Item: row }));
  await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl, MessageBody: streamRecordBody(row) }));
}

/** The environment `node worker.js` gets on an instance, pointed at the emulator. */
export function workerEnvironment(
  pipeline: TestPipeline,
  overrides: Partial<Record<keyof typeof WorkerEnv, string>> & { logPath: string },
): NodeJS.ProcessEnv {
  const values: Record<keyof typeof WorkerEnv, string> = {
    queueUrl: pipeline.queueUrl,
    tableName: pipeline.tableName,
    bucketName: pipeline.bucketName,
    autoterminateMinutes: '5',
    concurrency: '4',
    visibilityTimeoutSeconds: '30',
    multipartThresholdBytes: String(5 * 1024 ** 3),
    maxReceiveCount: '5',
    instanceId: 'i-0123456789abcdef0',
    region: EMULATOR_REGION,
    ...overrides,
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS, [ENDPOINT_ENV]: pipeline.endpoint };
  for (const [key, name] of Object.entries(WorkerEnv)) env[name] = values[key as keyof typeof WorkerEnv];
  return env;
}

export const WORKER_BUNDLE = path.join(REPO_ROOT, 'dist', 'worker', 'worker.js');

/** jest's globalSetup (build-bundles.js) has built dist/worker/worker.js; a suite never builds it itself. */
export function ensureWorkerBundle(): void {
  if (!existsSync(WORKER_BUNDLE)) throw new Error(`${WORKER_BUNDLE} is missing: run "npm run build" (npm test does).`);
}

/** A worker process started by a test; `stop` kills it (if still running) and waits for it. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startWorker(env: NodeJS.ProcessEnv, args: readonly string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [WORKER_BUNDLE, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export function temporaryLogPath(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'worker-test-')), 'sqs_worker.logs');
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
