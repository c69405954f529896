import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { OptionalOrchestratorEnv, WORKER_TAG } from '../../contracts';
import type { LocalLog } from '../log';
import { startInstanceMetadata, SPOT_NOTICE_MS, type InstanceMetadataStandIn } from './instance-metadata';
import { killCommandProcessesUnder } from './leftover-processes';
import { pause } from './pipe';
import { decodeUserData, workerCodeLocation, workerProcessEnv, type ParseWorkerEnvironment } from './worker-process-env';

export interface InstanceRunnerOptions {
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  readonly endpoint: string;
  /** Each instance gets `<workDir>/<instance-id>/` for its bundle, its HOME and its log file. */
  readonly workDir: string;
  readonly parseWorkerEnvironment: ParseWorkerEnvironment;
  readonly log: LocalLog;
  /** @default 500 ms between DescribeInstances polls */
  readonly pollIntervalMs?: number;
  /** @default USER_DATA_WAIT_MS — how long an instance may be listed without its user data before its boot fails */
  readonly userDataWaitMs?: number;
}

/** One worker process standing in for one emulated instance. */
export interface WorkerRun {
  readonly instanceId: string;
  /** `spot` or `on-demand`, as DescribeInstances lists it. */
  readonly lifecycle: string;
  readonly pid?: number;
  /** The file the worker logs to, in place of /home/ubuntu/sqs_worker.logs. */
  readonly logPath: string;
  /** The worker's scratch space, in place of /var/lib/rag-worker/scratch: its commands' job directories. */
  readonly scratchDir: string;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Command processes the worker left running when it exited, killed then by the runner (the control group's stand-in). */
  leftoverCommands?: number[];
}

export interface RunningInstanceRunner {
  /** Workers whose process is alive. */
  running(): WorkerRun[];
  /** Every worker started so far, alive or not. */
  history(): WorkerRun[];
  /**
   * Interrupts a Spot worker as EC2 does: its instance metadata posts the notice, and the instance is terminated
   * when the notice's time is up. False when the worker is not running or not a Spot instance.
   */
  interrupt(instanceId: string, noticeMs?: number): boolean;
  /** Posts a rebalance recommendation to a Spot worker's instance metadata. False when it is not running or not Spot. */
  recommendRebalance(instanceId: string): boolean;
  /** Most worker processes alive at the same time, since the start or the last {@link resetPeak}. */
  peakRunning(): number;
  /** Counts the peak afresh from the workers alive now: for tests that share one run. */
  resetPeak(): void;
  /**
   * Boots no new instance until the returned function is called, as if each boot took that long; the
   * orchestrator sees the instances pending or running meanwhile. For tests whose launches must all happen
   * before any worker takes a message.
   */
  holdBoots(): () => void;
  /** Stops watching, stops every worker (SIGTERM, then SIGKILL), terminates their instances. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
/**
 * How long an instance may be listed without its user data before its boot fails: the client-token proxy sets it
 * right after the launch (client-tokens.ts), so a poll can see the instance a moment before.
 */
const USER_DATA_WAIT_MS = 10_000;

/**
 * The local stand-in for EC2 booting a worker: for each instance with the worker tag that is pending
 * or running, read its user data, fetch the worker bundle from the bucket as the bootstrap would, and
 * run it with the user data's environment. When the process exits, the commands it left running are
 * killed (systemd's control group, local/standins/leftover-processes.ts) and the instance is terminated, as
 * the bootstrap's poweroff does; when the instance is terminated the process is stopped.
 */
export function startInstanceRunner(options: InstanceRunnerOptions): RunningInstanceRunner {
  const controller = new AbortController();
  const children = new Map<string, { run: WorkerRun; child?: ChildProcess; exited: Promise<void>; imds?: InstanceMetadataStandIn }>();
  const seen = new Set<string>();
  /** Instances listed without user data yet, and since when. */
  const waiting = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let peak = 0;
  let bootsHeld = false;
  const alive = () => [...children.values()].filter(({ child, run }) => child && !run.exit);

  const terminate = async (instanceId: string) => {
    try {
      await options.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      options.log.info('instance_terminated', { instanceId });
    } catch (error) {
      // While stopping, the emulator may already be gone (Ctrl-C reaches moto too): nothing to terminate.
      const report = controller.signal.aborted ? options.log.info : options.log.warn;
      report('instance_terminate_failed', { instanceId, error: (error as Error).message });
    }
  };

  /** The instance's user data; undefined while it may still come (see USER_DATA_WAIT_MS). */
  const userDataOf = async (instanceId: string): Promise<string | undefined> => {
    const { UserData } = await options.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
    if (UserData?.Value) return UserData.Value;
    const since = waiting.get(instanceId) ?? Date.now();
    waiting.set(instanceId, since);
    if (Date.now() - since < (options.userDataWaitMs ?? USER_DATA_WAIT_MS)) return undefined;
    return decodeUserData(UserData?.Value, instanceId);
  };

  const boot = async (listed: ListedInstance, base64UserData: string): Promise<void> => {
    const { instanceId } = listed;
    const instanceDir = path.join(options.workDir, instanceId);
    const run: WorkerRun = {
      instanceId,
      lifecycle: listed.lifecycle,
      logPath: path.join(instanceDir, 'sqs_worker.logs'),
      scratchDir: path.join(instanceDir, 'scratch'),
    };
    let markExited!: () => void;
    const entry: { run: WorkerRun; child?: ChildProcess; exited: Promise<void>; imds?: InstanceMetadataStandIn } = {
      run,
      exited: new Promise((resolve) => (markExited = resolve)),
    };
    children.set(instanceId, entry);
    try {
      mkdirSync(instanceDir, { recursive: true });
      const userDataEnv = options.parseWorkerEnvironment(decodeUserData(base64UserData, instanceId));
      const code = workerCodeLocation(userDataEnv, instanceId);
      // The bootstrap would run the deployment's setup script as root here; on this machine, its tools are yours to install.
      if (userDataEnv[OptionalOrchestratorEnv.workerSetupKey]) options.log.info('worker_setup_skipped', { instanceId, key: userDataEnv[OptionalOrchestratorEnv.workerSetupKey] });
      const bundle = await options.s3.send(new GetObjectCommand({ Bucket: code.bucket, Key: code.key }));
      const bundlePath = path.join(instanceDir, path.basename(code.key) || 'worker.js');
      writeFileSync(bundlePath, await bundle.Body!.transformToByteArray());
      if (controller.signal.aborted) throw new Error('the local run is stopping');

      entry.imds = await startInstanceMetadata({ instanceId, instanceType: listed.instanceType, lifecycle: listed.lifecycle });
      const logFd = openSync(run.logPath, 'a');
      const child = spawn(process.execPath, [bundlePath], {
        cwd: instanceDir,
        env: workerProcessEnv(userDataEnv, {
          endpoint: options.endpoint,
          logPath: run.logPath,
          instanceId,
          home: instanceDir,
          scratchDir: run.scratchDir,
          path: process.env.PATH,
          imdsEndpoint: entry.imds.endpoint,
        }),
        // The bootstrap appends the worker's stdout and stderr to its log file.
        stdio: ['ignore', logFd, logFd],
      });
      closeSync(logFd);
      entry.child = child;
      Object.assign(run, { pid: child.pid });
      peak = Math.max(peak, alive().length);
      options.log.info('worker_started', { instanceId, pid: child.pid, logPath: run.logPath });
      child.once('exit', (code, signal) => {
        run.exit = { code, signal };
        options.log.info('worker_exited', { instanceId, code, signal });
        // systemd ends the unit's control group with the worker: a command a killed worker left runs no longer.
        const killed = killCommandProcessesUnder(run.scratchDir);
        run.leftoverCommands = killed;
        if (killed.length > 0) options.log.warn('leftover_commands_killed', { instanceId, pids: killed });
        void terminate(instanceId)
          .then(() => entry.imds?.close())
          .finally(markExited);
      });
      child.once('error', (error) => options.log.warn('worker_spawn_failed', { instanceId, error: error.message }));
    } catch (error) {
      // The bootstrap powers the instance off when it fails; so does the local run.
      run.exit = { code: null, signal: null };
      options.log.warn('worker_boot_failed', { instanceId, error: (error as Error).message });
      await terminate(instanceId);
      await entry.imds?.close();
      markExited();
    }
  };

  const pollOnce = async () => {
    const live = new Map<string, ListedInstance>();
    let nextToken: string | undefined;
    do {
      const page = await options.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${WORKER_TAG.key}`, Values: [WORKER_TAG.value] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
          NextToken: nextToken,
        }),
        { abortSignal: controller.signal },
      );
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (!instance.InstanceId) continue;
          live.set(instance.InstanceId, {
            instanceId: instance.InstanceId,
            instanceType: instance.InstanceType ?? 't3.micro',
            lifecycle: instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
          });
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);

    for (const [instanceId, listed] of live) {
      if (seen.has(instanceId) || bootsHeld || controller.signal.aborted) continue;
      let userData: string | undefined;
      try {
        userData = await userDataOf(instanceId);
      } catch (error) {
        seen.add(instanceId);
        options.log.warn('worker_boot_failed', { instanceId, error: (error as Error).message });
        await terminate(instanceId);
        continue;
      }
      if (userData === undefined) continue;
      seen.add(instanceId);
      waiting.delete(instanceId);
      void boot(listed, userData);
    }
    // An instance terminated from outside (console, CLI, a test) takes its worker with it.
    for (const [instanceId, { child, run }] of children) {
      if (!live.has(instanceId) && child && !run.exit) child.kill('SIGTERM');
    }
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        await pollOnce();
      } catch (error) {
        if (controller.signal.aborted) break;
        options.log.warn('instance_poll_failed', { error: (error as Error).message });
      }
      await pause(options.pollIntervalMs ?? 500, controller.signal);
    }
  })();

  const spotEntry = (instanceId: string) => {
    const entry = children.get(instanceId);
    return entry?.child && !entry.run.exit && entry.run.lifecycle === 'spot' ? entry : undefined;
  };

  return {
    running: () => alive().map(({ run }) => run),
    history: () => [...children.values()].map(({ run }) => run),
    interrupt(instanceId, noticeMs = SPOT_NOTICE_MS) {
      const entry = spotEntry(instanceId);
      if (!entry?.imds) return false;
      const { deadlineMs } = entry.imds.interrupt(noticeMs);
      options.log.info('instance_interruption_noticed', { instanceId, deadline: new Date(deadlineMs).toISOString() });
      // When the notice's time is up, EC2 takes the instance, whatever the worker did.
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!entry.run.exit) void terminate(instanceId);
      }, noticeMs);
      timers.add(timer);
      return true;
    },
    recommendRebalance(instanceId) {
      const entry = spotEntry(instanceId);
      if (!entry?.imds) return false;
      entry.imds.recommendRebalance();
      options.log.info('instance_rebalance_recommended', { instanceId });
      return true;
    },
    peakRunning: () => peak,
    resetPeak: () => {
      peak = alive().length;
    },
    holdBoots: () => {
      bootsHeld = true;
      return () => {
        bootsHeld = false;
      };
    },
    async stop() {
      controller.abort();
      for (const timer of timers) clearTimeout(timer);
      await loop;
      await Promise.all(
        [...children.values()].map(async ({ child, run, exited }) => {
          if (child && !run.exit) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
            await exited;
            clearTimeout(killer);
          } else {
            await exited;
          }
        }),
      );
    },
  };
}

/** What DescribeInstances says about an instance the runner stands in for. */
interface ListedInstance {
  readonly instanceId: string;
  readonly instanceType: string;
  /** `spot` or `on-demand`. */
  readonly lifecycle: string;
}
