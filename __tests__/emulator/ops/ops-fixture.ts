import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { StackOutput } from '../../../contracts/outputs';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, EMULATOR_SDK_CREDENTIALS, type Emulator } from '../../../local/emulator/moto';
import { createStackResources, type StackResourceOptions } from '../../../local/emulator/stack-resources';
import { createClients, destroyClients, type OpsClients } from '../../../ops/clients';
import { runCli } from '../../../ops/program';
import { kitClients } from '../../support/clients';
import { useEmulator } from '../../support/emulator';

/** Helpers for the ops CLI emulator suites (not a suite itself). */

export const LAUNCHER = path.resolve(__dirname, '../../../bin/pipeline.js');

export function emulatorClients(endpoint: string): OpsClients {
  return createClients({ endpoint, region: EMULATOR_REGION, credentials: EMULATOR_SDK_CREDENTIALS });
}

export interface Resources {
  readonly tableName: string;
  /** Empty when the table has no status index (PIPELINE_STATUS_INDEX=false), as the stack's output is. */
  readonly statusIndexName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucketName: string;
  /** The orchestrator's log group, as Lambda names it. */
  readonly logGroupName: string;
  /** The outcome queue (PIPELINE_EVENTS_QUEUE=true). */
  readonly eventsQueueUrl: string;
}

/**
 * The stack's table (with its status index unless `options.statusIndex` is false), work queue with its
 * dead-letter queue and bucket (local/emulator/stack-resources.ts), the orchestrator's log group and an
 * outcome queue.
 */
export async function createResources(endpoint: string, clients: OpsClients, options: StackResourceOptions = {}): Promise<Resources> {
  const logGroupName = '/aws/lambda/ops-orchestrator';
  const sdk = kitClients(endpoint);
  try {
    const stack = await createStackResources(sdk, { baseName: 'ops', ...options });
    await clients.logs.send(new CreateLogGroupCommand({ logGroupName }));
    const { QueueUrl: eventsQueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'ops-outcomes' }));
    return {
      eventsQueueUrl: eventsQueueUrl as string,
      tableName: stack.tableName,
      statusIndexName: stack.statusIndexName ?? '',
      queueUrl: stack.queueUrl,
      dlqUrl: stack.dlqUrl,
      bucketName: stack.bucketName,
      logGroupName,
    };
  } finally {
    sdk.destroy();
  }
}

/** The outputs file as `cdktf output --outputs-file` writes it. */
export function outputsFileText(resources: Resources): string {
  return JSON.stringify({
    'rag-pipeline': {
      [StackOutput.tableName]: resources.tableName,
      [StackOutput.statusIndexName]: resources.statusIndexName,
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
    createClients: (clientOptions) => createClients({ ...clientOptions, credentials: EMULATOR_SDK_CREDENTIALS }),
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
 * The jest worker's emulator (support/emulator.ts); before each test a reset, fresh resources and a fresh
 * working directory with the outputs file named `outputsFile`; everything removed afterwards.
 */
export function useOpsEmulator(outputsFile: string, options: StackResourceOptions = {}): OpsEmulatorContext {
  const kit = useEmulator();
  const context = {} as OpsEmulatorContext;
  beforeAll(() => {
    context.emulator = kit.emulator;
    context.clients = emulatorClients(kit.emulator.endpoint);
  });
  afterAll(() => {
    if (context.clients) destroyClients(context.clients);
  });
  beforeEach(async () => {
    context.resources = await createResources(context.emulator.endpoint, context.clients, options);
    context.dir = mkdtempSync(path.join(tmpdir(), 'ops-cli-'));
    writeFileSync(path.join(context.dir, outputsFile), outputsFileText(context.resources));
  });
  afterEach(() => rmSync(context.dir, { recursive: true, force: true }));
  return context;
}
