import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ENDPOINT_ENV } from '../../contracts';
import { EMULATOR_CREDENTIALS } from '../emulator/moto';
import type { InvokeRequest, InvokeResponse, InvokeStarted } from './lambda-host';
import { lambdaLogGroupName, lambdaLogStreamName } from './log-events';
import { startLogShipper, type LogShipper } from './log-shipper';
import type { LocalLog } from '../log';
import { pause } from './pipe';

/** The emulated function as Terraform deployed it: what the local run needs to run it. */
export interface DeployedFunction {
  readonly functionName: string;
  /** `index.handler`: module `index` in the code directory, export `handler`. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** Where Lambda sends the function's output: its LoggingConfig's group, else `/aws/lambda/<name>`. */
  readonly logGroupName: string;
  /** The account the emulator deployed into (from the function's ARN). */
  readonly accountId: string;
  /** Environment.Variables, exactly as deployed. */
  readonly environment: Readonly<Record<string, string>>;
}

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
  /** Called with each invocation's result or error, after it is logged. */
  readonly onTick?: (outcome: { result?: unknown; error?: string }) => void;
}

export interface RunningSchedule {
  readonly ticks: () => number;
  /** Ticks whose invocation failed (an error, a timeout, a crashed environment). */
  readonly failedTicks: () => number;
  /**
   * Fault injection for chaos runs: the next invocation's execution environment dies (SIGKILL) as the handler
   * starts, once its lines are out, and Lambda reports `Runtime.ExitError`; the tick after gets a fresh
   * environment (a cold start). Resolves when that invocation has failed.
   */
  crashNextInvocation(): Promise<void>;
  /** The function's log group, where its output goes. */
  readonly logGroupName: string;
  stop(): Promise<void>;
}

/** Reads the function's configuration back from the emulator, as Terraform deployed it. */
export async function readDeployedFunction(lambda: LambdaClient, functionName: string): Promise<DeployedFunction> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  if (!config.Handler) throw new Error(`the emulated function ${functionName} has no handler`);
  return {
    functionName,
    handler: config.Handler,
    timeoutSeconds: config.Timeout ?? 3,
    memorySizeMb: config.MemorySize ?? 128,
    logGroupName: lambdaLogGroupName(functionName, config.LoggingConfig?.LogGroup),
    accountId: config.FunctionArn?.split(':')[4] ?? '123456789012',
    environment: config.Environment?.Variables ?? {},
  };
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
 * The environment of the function's execution environment: the deployed variables, plus what Lambda
 * itself provides (region, function name, version, memory, log group and stream, credentials), with only
 * the endpoint pointed at the emulator.
 */
export function functionProcessEnv(
  deployed: DeployedFunction,
  endpoint: string,
  region: string,
  home: string,
  logStreamName: string,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    ...deployed.environment,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: deployed.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.memorySizeMb),
    AWS_LAMBDA_LOG_GROUP_NAME: deployed.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    ...EMULATOR_CREDENTIALS,
    [ENDPOINT_ENV]: endpoint,
  };
}

/** Lambda's limit on the init phase of an execution environment. */
const INIT_LIMIT_MS = 10_000;

/** One execution environment: the host process and the log stream its output goes to. */
interface Host {
  readonly child: ChildProcess;
  readonly shipper: LogShipper;
}

/**
 * The local stand-in for the EventBridge schedule rule: every tick it invokes the real orchestrator
 * handler in a long-lived child process (a warm Lambda), with the environment read back from the
 * emulated function. Its own ticks run one after another; runs may still overlap with other triggers, which
 * the orchestrator's slot tokens make safe (docs/orchestrator.md).
 * The process's output goes to the function's CloudWatch Logs group, a new stream per process.
 */
export async function startSchedule(options: ScheduleOptions): Promise<RunningSchedule> {
  const deployed = await readDeployedFunction(options.lambda, options.functionName);
  const [moduleName, exportName] = splitHandler(deployed.handler);
  const controller = new AbortController();
  const logsDelivered: Promise<void>[] = [];
  let host: Host | undefined;
  let nextId = 0;
  let ticks = 0;
  let failedTicks = 0;
  let crashes: (() => void)[] = [];

  const startHost = (): Host => {
    const logStreamName = lambdaLogStreamName(new Date(), randomUUID().replaceAll('-', ''));
    const shipper = startLogShipper({
      logs: options.logs,
      logGroupName: deployed.logGroupName,
      logStreamName,
      intervalMs: options.logIntervalMs,
      log: options.log,
    });
    const child = fork(path.join(__dirname, 'lambda-host.ts'), [path.join(options.codeDir, `${moduleName}.js`), exportName], {
      cwd: options.codeDir,
      env: functionProcessEnv(deployed, options.endpoint, options.region, options.codeDir, logStreamName),
      execArgv: ['--require', require.resolve('tsx/cjs')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    shipper.attach(child.stdout!);
    shipper.attach(child.stderr!);
    logsDelivered.push(new Promise((resolve) => child.once('close', () => resolve(shipper.close()))));
    const started = { child, shipper };
    // A process that is gone (crashed, or killed at a timeout) is replaced at the next invocation.
    child.once('exit', () => {
      if (host === started) host = undefined;
    });
    return started;
  };

  const invoke = (event: unknown): Promise<InvokeResponse> => {
    host ??= startHost();
    const { child, shipper } = host;
    const crashed = crashes;
    crashes = [];
    const request: InvokeRequest = {
      id: ++nextId,
      requestId: randomUUID(),
      event,
      timeoutMs: deployed.timeoutSeconds * 1000,
      ...(crashed.length > 0 ? { crash: true } : {}),
    };
    return new Promise((resolve) => {
      const finish = (response: InvokeResponse) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(response);
        crashed.forEach((done) => done());
      };
      // Lambda stops an invocation at the function's timeout and discards its environment.
      const timedOut = () => {
        shipper.add(`${new Date().toISOString()} ${request.requestId} Task timed out after ${deployed.timeoutSeconds.toFixed(2)} seconds`);
        if (host?.child === child) host = undefined;
        child.kill('SIGKILL');
        finish({ id: request.id, error: { message: `timed out after ${deployed.timeoutSeconds} s` } });
      };
      // The timeout counts from the handler's start. Before it, the init phase (a cold start) gets
      // Lambda's 10 s init limit, then the function's timeout again, as Lambda retries a slow init
      // within the invocation (Lambda execution environment lifecycle, "Init phase").
      let timer = setTimeout(timedOut, INIT_LIMIT_MS + request.timeoutMs);
      const onMessage = (message: InvokeResponse | InvokeStarted) => {
        if (message.id !== request.id) return;
        if (!('started' in message)) return finish(message);
        clearTimeout(timer);
        timer = setTimeout(timedOut, request.timeoutMs);
      };
      const onExit = (code: number | null) => finish({ id: request.id, error: { message: `the function's process exited (code ${code})` } });
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(request, (error) => error && finish({ id: request.id, error: { message: `could not reach the function's process: ${error.message}` } }));
    });
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      const response = await invoke(scheduledEvent(options.ruleName, deployed.accountId, options.region, new Date()));
      if (controller.signal.aborted) break; // an invocation cut short by stop() is not a failure
      ticks++;
      if ('error' in response) {
        failedTicks++;
        options.log.warn('orchestrator_failed', { error: response.error.message });
        options.onTick?.({ error: response.error.message });
      } else {
        options.log.info('orchestrator_ticked', { result: response.result });
        options.onTick?.({ result: response.result });
      }
      await pause(options.tickMs, controller.signal);
    }
  })();

  return {
    ticks: () => ticks,
    failedTicks: () => failedTicks,
    crashNextInvocation: () => new Promise((resolve) => crashes.push(resolve)),
    logGroupName: deployed.logGroupName,
    async stop() {
      controller.abort();
      const child = host?.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        // Ends an invocation in flight too: its promise resolves on the process's exit.
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await loop;
      // The last lines are delivered before the emulator goes.
      await Promise.all(logsDelivered);
    },
  };
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) throw new Error(`the function's handler "${handler}" is not "<module>.<export>"`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}
