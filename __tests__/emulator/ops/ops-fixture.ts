import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ItemAttribute, STATUS_INDEX_NAME } from '../../../contracts';
import { StackOutput } from '../../../contracts/outputs';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulator, type Emulator } from '../../../local/emulator/moto';
import { createClients, destroyClients, type OpsClients } from '../../../ops/clients';
import { runCli } from '../../../ops/program';

/** Helpers for the ops CLI emulator suites (not a suite itself). */

export const LAUNCHER = path.resolve(__dirname, '../../../bin/pipeline.js');

const credentials = {
  accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
  sessionToken: EMULATOR_CREDENTIALS.AWS_SESSION_TOKEN,
};

export function emulatorClients(endpoint: string): OpsClients {
  return createClients({ endpoint, region: EMULATOR_REGION, credentials });
}

export interface Resources {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucketName: string;
  /** The orchestrator's log group, as Lambda names it. */
  readonly logGroupName: string;
  /** The outcome queue (PIPELINE_EVENTS_QUEUE=true). */
  readonly eventsQueueUrl: string;
}

/** The table with its status index, the work queue with its dead-letter queue, the bucket and the orchestrator's log group, as the stack makes them. */
export async function createResources(endpoint: string, clients: OpsClients): Promise<Resources> {
  const names = { tableName: 'ops-items', queue: 'ops-work', dlq: 'ops-work-dlq', bucketName: 'ops-bucket', logGroupName: '/aws/lambda/ops-orchestrator' };
  const dynamodb = new DynamoDBClient({ endpoint, region: EMULATOR_REGION, credentials });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: names.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: ItemAttribute.id, AttributeType: 'S' },
        { AttributeName: ItemAttribute.status, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: ItemAttribute.id, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: STATUS_INDEX_NAME,
          KeySchema: [{ AttributeName: ItemAttribute.status, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  dynamodb.destroy();
  const { QueueUrl: dlqUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: names.dlq }));
  const { Attributes: dlqAttributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: queueUrl } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.queue,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttributes?.QueueArn, maxReceiveCount: 5 }) },
    }),
  );
  await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucketName }));
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: names.logGroupName }));
  const { QueueUrl: eventsQueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'ops-outcomes' }));
  return {
    eventsQueueUrl: eventsQueueUrl as string,
    tableName: names.tableName,
    queueUrl: queueUrl as string,
    dlqUrl: dlqUrl as string,
    bucketName: names.bucketName,
    logGroupName: names.logGroupName,
  };
}

/** The outputs file as `cdktf output --outputs-file` writes it. */
export function outputsFileText(resources: Resources): string {
  return JSON.stringify({
    'rag-pipeline': {
      [StackOutput.tableName]: resources.tableName,
      [StackOutput.queueUrl]: resources.queueUrl,
      [StackOutput.dlqUrl]: resources.dlqUrl,
      [StackOutput.bucketName]: resources.bucketName,
      [StackOutput.region]: EMULATOR_REGION,
      [StackOutput.lambdaLogGroupName]: resources.logGroupName,
      [StackOutput.eventBusName]: 'default',
      [StackOutput.eventsQueueUrl]: resources.eventsQueueUrl,
    },
  });
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process (fast), with emulator credentials and the given working directory. */
export async function runInProcess(args: readonly string[], options: { cwd: string; endpoint: string; newId?: () => string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--endpoint-url', options.endpoint], {
    io: { out: (text) => (stdout += text), err: (text) => (stderr += text), interactive: false },
    env: {},
    cwd: options.cwd,
    createClients: (clientOptions) => createClients({ ...clientOptions, credentials }),
    newId: options.newId,
  });
  return { code, stdout, stderr };
}

/** Runs `bin/pipeline.js` as a child process, the way `npx pipeline` does, with only emulator credentials. */
export function runProcess(args: readonly string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      cwd,
      // The SDK's Node 20 end-of-support notice would otherwise open stderr on this machine.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...EMULATOR_CREDENTIALS,
        AWS_REGION: EMULATOR_REGION,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** What {@link useOpsEmulator} gives each test: set by its hooks, read inside tests. */
export interface OpsEmulatorContext {
  emulator: Emulator;
  clients: OpsClients;
  resources: Resources;
  /** A fresh working directory holding the outputs file. */
  dir: string;
}

/**
 * One emulator per test file; before each test a reset, fresh resources and a fresh working directory
 * with the outputs file named `outputsFile`; everything stopped and removed afterwards.
 */
export function useOpsEmulator(outputsFile: string): OpsEmulatorContext {
  const context = {} as OpsEmulatorContext;
  beforeAll(async () => {
    context.emulator = await startEmulator();
    context.clients = emulatorClients(context.emulator.endpoint);
  });
  afterAll(async () => {
    if (context.clients) destroyClients(context.clients);
    await context.emulator?.stop();
  });
  beforeEach(async () => {
    await context.emulator.reset();
    context.resources = await createResources(context.emulator.endpoint, context.clients);
    context.dir = mkdtempSync(path.join(tmpdir(), 'ops-cli-'));
    writeFileSync(path.join(context.dir, outputsFile), outputsFileText(context.resources));
  });
  afterEach(() => rmSync(context.dir, { recursive: true, force: true }));
  return context;
}
