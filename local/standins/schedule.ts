import { randomUUID } from 'node:crypto';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { LocalLog } from '../log';
import { startFunctionHost, type FunctionHost } from './function-host';
import { pause } from './pipe';

export { functionProcessEnv, readDeployedFunction, type DeployedFunction } from './function-host';

export interface ScheduleOptions {
  readonly lambda: LambdaClient;
  readonly functionName: string;
  /** Directory holding the function's code, as zipped into the deployment (dist/orchestrator). */
  readonly codeDir: string;
  readonly endpoint: string;
  readonly region: string;
  /** Name of the schedule rule, for the event's `resources`. */
  readonly ruleName: string;
  readonly tickMs: number;
  /** The function's stdout and stderr go to its log group here, one stream per host process, as Lambda sends them. */
  readonly logs: CloudWatchLogsClient;
  /** @default 1000 — milliseconds between log deliveries */
  readonly logIntervalMs?: number;
  readonly log: LocalLog;
  /**
   * @default a host of its own, stopped with the schedule — the function's execution environments, shared
   * with the other triggers of the local run
   */
  readonly host?: FunctionHost;
  /** Called with each invocation's result or error, after it is logged. */
  readonly onTick?: (outcome: { result?: unknown; error?: string }) => void;
}

export interface RunningSchedule {
  readonly ticks: () => number;
  /** When the latest scheduled invocation started (ms since the epoch); undefined before the first. */
  readonly lastTickAt: () => number | undefined;
  /** Ticks whose invocation failed (an error, a timeout, a crashed environment). */
  readonly failedTicks: () => number;
  /**
   * Fault injection for chaos runs: the next scheduled invocation's execution environment dies (SIGKILL) as
   * the handler starts, once its lines are out, and Lambda reports `Runtime.ExitError`; the next invocation
   * gets a fresh environment (a cold start). Resolves when that invocation has failed.
   */
  crashNextInvocation(): Promise<void>;
  /** The function's log group, where its output goes. */
  readonly logGroupName: string;
  /**
   * Skips the schedule's ticks until the returned function is called, as if its next one were still far off:
   * for tests that must see a run come from another trigger. Resolves once a tick under way has ended.
   */
  holdTicks(): Promise<() => void>;
  stop(): Promise<void>;
}

/** An EventBridge scheduled event; a fresh `id` per tick, as EventBridge sends. */
export function scheduledEvent(ruleName: string, accountId: string, region: string, now: Date): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/${ruleName}`],
    detail: {},
  };
}

/**
 * The local stand-in for the EventBridge schedule rule: every tick it invokes the real orchestrator handler
 * in the function host (a warm Lambda), the first tick at once. Its own ticks run one after another; runs may
 * still overlap with the wake queue's, which the orchestrator's slot tokens make safe (docs/orchestrator.md).
 */
export async function startSchedule(options: ScheduleOptions): Promise<RunningSchedule> {
  const host = options.host ?? (await startFunctionHost(options));
  const { deployed } = host;
  const controller = new AbortController();
  let ticks = 0;
  let lastTickAt: number | undefined;
  let failedTicks = 0;
  let crashes: (() => void)[] = [];

  let held = false;
  let ticking: Promise<void> | undefined;

  const tick = async (): Promise<void> => {
    lastTickAt = Date.now();
    const crashed = crashes;
    crashes = [];
    const event = scheduledEvent(options.ruleName, deployed.accountId, options.region, new Date());
    const response = await host.invoke(event, { crash: crashed.length > 0 });
    crashed.forEach((done) => done());
    if (controller.signal.aborted) return; // an invocation cut short by stop() is not a failure
    ticks++;
    if ('error' in response) {
      failedTicks++;
      options.log.warn('orchestrator_failed', { trigger: 'schedule', error: response.error.message });
      options.onTick?.({ error: response.error.message });
    } else {
      options.log.info('orchestrator_ticked', { trigger: 'schedule', result: response.result });
      options.onTick?.({ result: response.result });
    }
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      if (!held) {
        ticking = tick();
        await ticking;
        ticking = undefined;
      }
      await pause(options.tickMs, controller.signal);
    }
  })();

  return {
    ticks: () => ticks,
    lastTickAt: () => lastTickAt,
    failedTicks: () => failedTicks,
    crashNextInvocation: () => new Promise((resolve) => crashes.push(resolve)),
    logGroupName: host.logGroupName,
    async holdTicks() {
      held = true;
      await ticking;
      return () => {
        held = false;
      };
    },
    async stop() {
      controller.abort();
      // A host of its own ends the invocation in flight; a shared one is stopped by its owner.
      if (!options.host) await host.stop();
      await loop;
    },
  };
}
