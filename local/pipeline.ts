import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { parseWorkerEnvironment } from '../runtime/bootstrap/user-data';
import { destroyClients, emulatorClients, type EmulatorClients } from './emulator/clients';
import { ORCHESTRATOR_CODE_DIR } from '../main';
import { deployStack, type Deployment } from './emulator/deploy';
import { dropConditionalDenies } from './emulator/gaps';
import { EMULATOR_REGION, startEmulator, type Emulator } from './emulator/moto';
import { usablePort } from './emulator/usable-port';
import { startInstanceRunner, type RunningInstanceRunner } from './standins/instance-runner';
import type { LocalLog } from './log';
import { startPipe, type RunningPipe } from './standins/pipe';
import { startSchedule, type RunningSchedule } from './standins/schedule';

/** Settings a local run chooses for speed; each maps to a `PIPELINE_*` deploy-time setting. */
export interface LocalRunSettings {
  /** @default 0.25 — PIPELINE_AUTOTERMINATE_MINUTES: workers stop 15 s after their last message */
  readonly autoterminateMinutes?: number;
  /** @default PIPELINE_MAX_WORKERS from the environment, else the stack's default (1) */
  readonly maxWorkers?: number;
  /** @default 60 — PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: the lowest the stack accepts, so a killed worker's messages return within a minute */
  readonly visibilityTimeoutSeconds?: number;
  /** @default PIPELINE_MESSAGES_PER_WORKER from the environment, else the stack's default */
  readonly messagesPerWorker?: number;
}

export interface LocalPipelineOptions {
  /** @default a free port; a port in use is replaced by a free one */
  readonly port?: number;
  /** @default 2 — seconds between orchestrator invocations (the schedule rule's stand-in) */
  readonly tickSeconds?: number;
  readonly settings?: LocalRunSettings;
  /** @default process.env — other PIPELINE_* settings for synth (remote state settings are ignored) */
  readonly env?: NodeJS.ProcessEnv;
  readonly log: LocalLog;
  /** Human-readable progress lines (deploy steps). */
  readonly progress?: (line: string) => void;
  /** Aborting while starting stops what was started and rejects (Ctrl-C during the deploy). */
  readonly signal?: AbortSignal;
}

export interface LocalPipeline {
  /** `http://127.0.0.1:<port>`: use as `--endpoint-url` or AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  readonly region: string;
  /** Where the workers' log files are while the run lasts (the orchestrator's lines go to CloudWatch Logs). */
  readonly workDir: string;
  /** Every Terraform output of the stack. */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly deployment: Deployment;
  readonly clients: EmulatorClients;
  readonly emulator: Emulator;
  readonly pipe: RunningPipe;
  readonly schedule: RunningSchedule;
  readonly instances: RunningInstanceRunner;
  /** Stops every process the run started (workers, the function host, moto) and removes its temp files. Idempotent. */
  stop(): Promise<void>;
}

export const LOCAL_DEFAULTS = { autoterminateMinutes: 0.25, visibilityTimeoutSeconds: 60, tickSeconds: 2 } as const;

/**
 * moto's built-in Canonical Ubuntu 16.04 image (owner 099720109477, x86_64, /dev/sda1). The orchestrator
 * checks the image before it launches (docs/orchestrator.md), and moto has none of Canonical's
 * /aws/service/canonical SSM parameters, so the local run pins this one: any other AMI ID would not exist
 * on the emulator.
 */
export const LOCAL_AMI_ID = 'ami-785db401';

/** The `PIPELINE_*` environment for synth: the caller's, with the local run's settings on top. */
export function settingsEnvFor(env: NodeJS.ProcessEnv, settings: LocalRunSettings = {}): NodeJS.ProcessEnv {
  const chosen: Record<string, string | number | undefined> = {
    PIPELINE_AMI_ID: LOCAL_AMI_ID,
    PIPELINE_AUTOTERMINATE_MINUTES: settings.autoterminateMinutes ?? LOCAL_DEFAULTS.autoterminateMinutes,
    PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: settings.visibilityTimeoutSeconds ?? LOCAL_DEFAULTS.visibilityTimeoutSeconds,
    PIPELINE_MAX_WORKERS: settings.maxWorkers,
    PIPELINE_MESSAGES_PER_WORKER: settings.messagesPerWorker,
    // The emulator has no IAM propagation to wait for (hashicorp/terraform-provider-aws#40572 is AWS's).
    PIPELINE_IAM_PROPAGATION_SECONDS: 0,
  };
  const result: NodeJS.ProcessEnv = { ...env, PIPELINE_REGION: EMULATOR_REGION };
  for (const [name, value] of Object.entries(chosen)) if (value !== undefined) result[name] = String(value);
  return result;
}

/**
 * Starts moto, deploys the stack to it with terraform, then runs what AWS would run: the pipe, the
 * schedule and the instances. Used by the CLI (local/cli/main.ts) and the end-to-end tests. On a failure
 * part-way, everything already started is stopped before the error is rethrown.
 */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const region = EMULATOR_REGION;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'rag-local-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(workDir, { recursive: true, force: true })];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      // Last started, first stopped: workers and the function host before moto.
      for (const step of [...stops].reverse()) {
        try {
          await step();
        } catch (error) {
          options.log.warn('local_stop_step_failed', { error: (error as Error).message });
        }
      }
    })());

  try {
    const emulator = await startEmulator({ port: await usablePort(options.port, options.progress) });
    stops.push(() => emulator.stop());
    options.progress?.(`emulator listening on ${emulator.endpoint}`);

    const deployment = await deployStack({
      endpoint: emulator.endpoint,
      settingsEnv: settingsEnvFor(options.env ?? process.env, options.settings),
      workDir: path.join(workDir, 'stack'),
      progress: options.progress,
      signal: options.signal,
    });
    options.signal?.throwIfAborted();
    const clients = emulatorClients(emulator.endpoint, region);
    stops.push(async () => destroyClients(clients));
    const dropped = await dropConditionalDenies(clients.s3, requiredOutput(deployment.outputs, 'bucket_name'));
    if (dropped.length > 0) {
      options.progress?.(`emulator gap: removed bucket policy statement(s) ${dropped.join(', ')} that moto cannot evaluate (docs/local-run.md)`);
    }

    const queueName = deployment.pipe.targetArn.split(':').pop();
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    if (!QueueUrl) throw new Error(`the pipe's target queue ${deployment.pipe.targetArn} does not exist on the emulator`);
    const pipe = startPipe(
      {
        streamArn: deployment.pipe.sourceArn,
        queueUrl: QueueUrl,
        filterPatterns: deployment.pipe.filterPatterns,
        batchSize: deployment.pipe.batchSize,
      },
      clients,
      options.log,
    );
    stops.push(() => pipe.stop());

    const instances = startInstanceRunner({
      ec2: clients.ec2,
      s3: clients.s3,
      endpoint: emulator.endpoint,
      workDir: path.join(workDir, 'instances'),
      parseWorkerEnvironment,
      log: options.log,
    });
    stops.push(() => instances.stop());

    const functionName = requiredOutput(deployment.outputs, 'lambda_function_name');
    const schedule = await startSchedule({
      lambda: clients.lambda,
      logs: clients.logs,
      functionName,
      codeDir: ORCHESTRATOR_CODE_DIR,
      endpoint: emulator.endpoint,
      region,
      ruleName: optionalOutput(deployment.outputs, 'schedule_rule_name') ?? 'local-schedule',
      tickMs: (options.tickSeconds ?? LOCAL_DEFAULTS.tickSeconds) * 1000,
      log: options.log,
    });
    options.progress?.(
      `orchestrator logs: CloudWatch Logs group ${schedule.logGroupName} (aws --endpoint-url ${emulator.endpoint} logs tail ${schedule.logGroupName} --follow)`,
    );
    // Stopped first, so no tick launches a worker while the instances are being stopped.
    stops.push(() => schedule.stop());

    options.signal?.throwIfAborted();
    return { endpoint: emulator.endpoint, region, workDir, outputs: deployment.outputs, deployment, clients, emulator, pipe, schedule, instances, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function requiredOutput(outputs: Readonly<Record<string, unknown>>, name: string): string {
  const value = outputs[name];
  if (typeof value !== 'string' || value === '') throw new Error(`the stack has no "${name}" output`);
  return value;
}

function optionalOutput(outputs: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = outputs[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
