import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { StackOutput, type ProcessorCatalog, type PurchaseOption, type StackOutputKey, VISIBILITY_TIMEOUT_SECONDS } from '../contracts';
import { parseWorkerEnvironment } from '../runtime/bootstrap/user-data';
import { destroyClients, emulatorClients, type EmulatorClients } from './emulator/clients';
import { ORCHESTRATOR_CODE_DIR } from '../main';
import { deployStack, type DeployedPipe, type Deployment } from './emulator/deploy';
import { detachScheduleTargets, disableEmulatedMapping, dropConditionalDenies } from './emulator/gaps';
import { EmulatorImages } from './emulator/images';
import { EMULATOR_REGION, startEmulator, type Emulator } from './emulator/moto';
import { usablePort } from './emulator/usable-port';
import { startInstanceRunner, type RunningInstanceRunner } from './standins/instance-runner';
import type { LocalLog } from './log';
import { startClientTokenProxy } from './standins/client-tokens';
import { eventBusTarget } from './standins/event-bus-target';
import { startFunctionHost, type FunctionHost } from './standins/function-host';
import { queueTarget, startPipe, type PipeTarget, type RunningPipe } from './standins/pipe';
import { startSchedule, type RunningSchedule } from './standins/schedule';
import { readQueueEventSource, startWakeMapping, type RunningWakeMapping } from './standins/wake';

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
  /** @default PIPELINE_EVENT_TRIGGER from the environment, else the stack's default (on): the wake queue and its mapping */
  readonly eventTrigger?: boolean;
  /** @default PIPELINE_EVENTS_QUEUE from the environment, else the stack's default (off): the outcome subscriber queue */
  readonly eventsQueue?: boolean;
  /** @default PIPELINE_PURCHASE_OPTION from the environment, else pipeline.config.ts's (on-demand): Spot workers can be interrupted */
  readonly purchaseOption?: PurchaseOption;
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
  /** @default the processors of pipeline.config.ts — the catalog to deploy (the demo and the soak add their own) */
  readonly processors?: ProcessorCatalog;
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
  /** The stand-in for both pipes on the table's stream (work queue, events). */
  readonly pipe: RunningPipe;
  /** The orchestrator's execution environments, shared by the schedule and the wake mapping. */
  readonly host: FunctionHost;
  readonly schedule: RunningSchedule;
  /** The wake queue's event source mapping; undefined when the stack has no event trigger. */
  readonly wake?: RunningWakeMapping;
  readonly instances: RunningInstanceRunner;
  /** Stops every process the run started (workers, the function host, moto) and removes its temp files. Idempotent. */
  stop(): Promise<void>;
}

export const LOCAL_DEFAULTS = { autoterminateMinutes: 0.25, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS.min, tickSeconds: 2 } as const;

/**
 * The emulator's Canonical Ubuntu 24.04 image (owner 099720109477, x86_64, /dev/sda1; local/emulator/images.ts).
 * The orchestrator checks the image before it launches (docs/orchestrator.md), and moto has none of Canonical's
 * /aws/service/canonical SSM parameters, so the local run pins this one: any other AMI ID would not exist
 * on the emulator.
 */
export const LOCAL_AMI_ID = EmulatorImages.ubuntu2404;

/** The `PIPELINE_*` environment for synth: the caller's, with the local run's settings on top. */
export function settingsEnvFor(env: NodeJS.ProcessEnv, settings: LocalRunSettings = {}): NodeJS.ProcessEnv {
  const chosen: Record<string, string | number | boolean | undefined> = {
    PIPELINE_AMI_ID: LOCAL_AMI_ID,
    PIPELINE_AUTOTERMINATE_MINUTES: settings.autoterminateMinutes ?? LOCAL_DEFAULTS.autoterminateMinutes,
    PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: settings.visibilityTimeoutSeconds ?? LOCAL_DEFAULTS.visibilityTimeoutSeconds,
    PIPELINE_MAX_WORKERS: settings.maxWorkers,
    PIPELINE_MESSAGES_PER_WORKER: settings.messagesPerWorker,
    PIPELINE_EVENT_TRIGGER: settings.eventTrigger,
    PIPELINE_EVENTS_QUEUE: settings.eventsQueue,
    PIPELINE_PURCHASE_OPTION: settings.purchaseOption,
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
    // The stack attaches an AWS-managed policy to the worker role.
    const emulator = await startEmulator({ port: await usablePort(options.port, options.progress), managedPolicies: true });
    stops.push(() => emulator.stop());
    options.progress?.(`emulator listening on ${emulator.endpoint}`);

    const deployment = await deployStack({
      endpoint: emulator.endpoint,
      settingsEnv: settingsEnvFor(options.env ?? process.env, options.settings),
      workDir: path.join(workDir, 'stack'),
      progress: options.progress,
      signal: options.signal,
      processors: options.processors,
    });
    options.signal?.throwIfAborted();
    const clients = emulatorClients(emulator.endpoint, region);
    stops.push(async () => destroyClients(clients));
    const dropped = await dropConditionalDenies(clients.s3, requiredOutput(deployment.outputs, 'bucketName'));
    if (dropped.length > 0) {
      options.progress?.(`emulator gap: removed bucket policy statement(s) ${dropped.join(', ')} that moto cannot evaluate (docs/local-run.md)`);
    }

    const functionName = requiredOutput(deployment.outputs, 'lambdaFunctionName');
    const scheduleRuleName = optionalOutput(deployment.outputs, 'scheduleRuleName');
    if (scheduleRuleName) await detachScheduleTargets(clients.events, scheduleRuleName);
    const wakeSource = await readQueueEventSource(clients.lambda, clients.sqs, functionName);
    if (wakeSource) await disableEmulatedMapping(clients.lambda, wakeSource.uuid);

    const pipe = startPipe(streamOf(deployment.pipes), await pipeTargets(deployment.pipes, clients), clients.streams, options.log);
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

    // The orchestrator's runs overlap and count on EC2's client-token idempotency, which moto lacks.
    const clientTokens = await startClientTokenProxy(emulator.endpoint, clients.ec2);
    stops.push(() => clientTokens.close());
    const host = await startFunctionHost({
      lambda: clients.lambda,
      logs: clients.logs,
      functionName,
      codeDir: ORCHESTRATOR_CODE_DIR,
      endpoint: emulator.endpoint,
      ec2Endpoint: clientTokens.endpoint,
      region,
      log: options.log,
    });
    stops.push(() => host.stop());
    const schedule = await startSchedule({
      lambda: clients.lambda,
      logs: clients.logs,
      functionName,
      codeDir: ORCHESTRATOR_CODE_DIR,
      endpoint: emulator.endpoint,
      region,
      ruleName: scheduleRuleName ?? 'local-schedule',
      tickMs: (options.tickSeconds ?? LOCAL_DEFAULTS.tickSeconds) * 1000,
      log: options.log,
      host,
    });
    const wake = wakeSource ? startWakeMapping({ source: wakeSource, host, sqs: clients.sqs, region, log: options.log }) : undefined;
    options.progress?.(
      `orchestrator logs: CloudWatch Logs group ${host.logGroupName} (aws --endpoint-url ${emulator.endpoint} logs tail ${host.logGroupName} --follow)`,
    );
    options.progress?.(
      wake
        ? `orchestrator triggers: the schedule every ${options.tickSeconds ?? LOCAL_DEFAULTS.tickSeconds} s and the wake queue (rows that become PENDING)`
        : `orchestrator trigger: the schedule every ${options.tickSeconds ?? LOCAL_DEFAULTS.tickSeconds} s (PIPELINE_EVENT_TRIGGER=false: no wake queue)`,
    );
    // Stopped first, so no run launches a worker while the instances are being stopped; stopping the host
    // ends an invocation in flight (a second stop of the host, later, finds nothing left to do).
    stops.push(async () => {
      const triggers = [schedule.stop(), wake?.stop()];
      await host.stop();
      await Promise.all(triggers);
    });

    options.signal?.throwIfAborted();
    return { endpoint: emulator.endpoint, region, workDir, outputs: deployment.outputs, deployment, clients, emulator, pipe, host, schedule, wake, instances, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every pipe reads the same stream: the table's. */
function streamOf(pipes: readonly DeployedPipe[]): string {
  const sources = new Set(pipes.map((pipe) => pipe.sourceArn));
  if (sources.size !== 1) throw new Error(`the stack's pipes read ${sources.size} streams; the local run expects one (the table's)`);
  return pipes[0].sourceArn;
}

/** A local target per deployed pipe: an SQS queue (the work queue) or an event bus (the item events). */
async function pipeTargets(pipes: readonly DeployedPipe[], clients: EmulatorClients): Promise<PipeTarget[]> {
  return Promise.all(
    pipes.map(async (pipe) => {
      const [, , service, , , resource] = pipe.targetArn.split(':');
      if (service === 'sqs') {
        const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: resource }));
        if (!QueueUrl) throw new Error(`the pipe's target queue ${pipe.targetArn} does not exist on the emulator`);
        return queueTarget(pipe.name, QueueUrl, pipe.filterPatterns, pipe.batchSize, clients.sqs);
      }
      if (service === 'events' && resource?.startsWith('event-bus/') && pipe.eventBus && pipe.inputTemplate) {
        return eventBusTarget(
          { name: pipe.name, eventBusName: resource.slice('event-bus/'.length), filterPatterns: pipe.filterPatterns, batchSize: pipe.batchSize, inputTemplate: pipe.inputTemplate, ...pipe.eventBus },
          clients.events,
        );
      }
      throw new Error(`the local run cannot stand in for pipe ${pipe.name}: target ${pipe.targetArn}`);
    }),
  );
}

/** A string output of the deployed stack, named by the StackOutput contract; throws when it is absent or empty. */
export function requiredOutput(outputs: Readonly<Record<string, unknown>>, key: StackOutputKey): string {
  const value = optionalOutput(outputs, key);
  if (value === undefined) throw new Error(`the stack has no "${StackOutput[key]}" output`);
  return value;
}

function optionalOutput(outputs: Readonly<Record<string, unknown>>, key: StackOutputKey): string | undefined {
  const value = outputs[StackOutput[key]];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
