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

/** The emulated function as Terraform deployed it: what the local run needs to run it. */
export interface DeployedFunction {
  readonly functionName: string;
  /** The function's ARN, as the emulator reports it. */
  readonly functionArn: string;
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

/** Reads the function's configuration back from the emulator, as Terraform deployed it. */
export async function readDeployedFunction(lambda: LambdaClient, functionName: string): Promise<DeployedFunction> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  if (!config.Handler) throw new Error(`the emulated function ${functionName} has no handler`);
  const functionArn = config.FunctionArn ?? `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`;
  return {
    functionName,
    functionArn,
    handler: config.Handler,
    timeoutSeconds: config.Timeout ?? 3,
    memorySizeMb: config.MemorySize ?? 128,
    logGroupName: lambdaLogGroupName(functionName, config.LoggingConfig?.LogGroup),
    accountId: functionArn.split(':')[4],
    environment: config.Environment?.Variables ?? {},
  };
}

/**
 * The environment of the function's execution environment: the deployed variables, plus what Lambda
 * itself provides (region, function name, version, memory, log group and stream, credentials), with only
 * the endpoint pointed at the emulator (and EC2's at `ec2Endpoint`, when given).
 */
export function functionProcessEnv(
  deployed: DeployedFunction,
  endpoint: string,
  region: string,
  home: string,
  logStreamName: string,
  ec2Endpoint?: string,
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
    // The SDK's service-specific endpoint variable wins over AWS_ENDPOINT_URL.
    ...(ec2Endpoint === undefined ? {} : { [EC2_ENDPOINT_ENV]: ec2Endpoint }),
  };
}

/** The AWS SDK's endpoint override for EC2 alone. */
export const EC2_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_EC2';

export interface FunctionHostOptions {
  readonly lambda: LambdaClient;
  readonly functionName: string;
  /** Directory holding the function's code, as zipped into the deployment (dist/orchestrator). */
  readonly codeDir: string;
  readonly endpoint: string;
  /** @default the emulator's endpoint — where the function's EC2 client goes (the client-token stand-in, ./client-tokens.ts) */
  readonly ec2Endpoint?: string;
  readonly region: string;
  /** The function's stdout and stderr go to its log group here, one stream per execution environment, as Lambda sends them. */
  readonly logs: CloudWatchLogsClient;
  /** @default 1000 — milliseconds between log deliveries */
  readonly logIntervalMs?: number;
  readonly log: LocalLog;
}

export interface FunctionHost {
  /** The function's configuration as the latest invocation read it. */
  readonly deployed: DeployedFunction;
  /** The function's log group, where its output goes. */
  readonly logGroupName: string;
  /**
   * Invokes the function synchronously in an idle execution environment, or a new one. Never rejects.
   * `crash` (fault injection for chaos runs) kills that environment as the handler starts.
   */
  invoke(event: unknown, fault?: { readonly crash?: boolean }): Promise<InvokeResponse>;
  /** Execution environments started so far. */
  environments(): number;
  /** Ends every environment (and any invocation in flight) and delivers their last log lines. */
  stop(): Promise<void>;
}

/** Lambda's limit on the init phase of an execution environment. */
const INIT_LIMIT_MS = 10_000;

/** One execution environment: the host process, the log stream its output goes to, and whether it is busy. */
interface Environment {
  readonly child: ChildProcess;
  readonly shipper: LogShipper;
  /** The configuration it was started with. */
  readonly deployed: DeployedFunction;
  busy: boolean;
}

/**
 * The local stand-in for Lambda running the deployed function: each execution environment is a long-lived
 * child process (lambda-host.ts) that loads the handler once and takes one invocation at a time, as a warm
 * container does. Concurrent invocations (the schedule, the wake queue's mapping) get environments of their
 * own; an idle one is reused. A process that crashed or ran past the timeout is discarded, as Lambda discards
 * an environment. The function's configuration is read back from the emulated function at each invocation: after
 * an UpdateFunctionConfiguration (a new MAX_WORKERS, say), invocations run in new environments that have it, and
 * idle environments of the old configuration are ended, as Lambda does.
 */
export async function startFunctionHost(options: FunctionHostOptions): Promise<FunctionHost> {
  let deployed = await readDeployedFunction(options.lambda, options.functionName);
  splitHandler(deployed.handler);
  const environments = new Set<Environment>();
  const logsDelivered: Promise<void>[] = [];
  let started = 0;
  let nextId = 0;
  let stopping = false;

  const startEnvironment = (): Environment => {
    const [moduleName, exportName] = splitHandler(deployed.handler);
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
      env: functionProcessEnv(deployed, options.endpoint, options.region, options.codeDir, logStreamName, options.ec2Endpoint),
      execArgv: ['--require', require.resolve('tsx/cjs')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    shipper.attach(child.stdout!);
    shipper.attach(child.stderr!);
    logsDelivered.push(new Promise((resolve) => child.once('close', () => resolve(shipper.close()))));
    const environment: Environment = { child, shipper, deployed, busy: false };
    environments.add(environment);
    started++;
    child.once('exit', () => environments.delete(environment));
    return environment;
  };

  /** Reads the configuration again; on a change, ends the idle environments that have the old one. */
  const refreshConfiguration = async () => {
    let current: DeployedFunction;
    try {
      current = await readDeployedFunction(options.lambda, options.functionName);
      splitHandler(current.handler);
    } catch (error) {
      options.log.warn('function_configuration_unread', { functionName: options.functionName, error: (error as Error).message });
      return;
    }
    if (JSON.stringify(current) === JSON.stringify(deployed)) return;
    deployed = current;
    options.log.info('function_configuration_changed', { functionName: options.functionName });
    for (const environment of environments) {
      if (environment.busy || environment.deployed === deployed) continue;
      environments.delete(environment);
      environment.child.kill('SIGTERM');
    }
  };

  const invoke = async (event: unknown, fault?: { readonly crash?: boolean }): Promise<InvokeResponse> => {
    if (!stopping) await refreshConfiguration();
    const config = deployed;
    const request: InvokeRequest = {
      id: ++nextId,
      requestId: randomUUID(),
      event,
      timeoutMs: config.timeoutSeconds * 1000,
      ...(fault?.crash ? { crash: true } : {}),
    };
    if (stopping) return Promise.resolve({ id: request.id, error: { message: 'the function host is stopping' } });
    const environment = [...environments].find((candidate) => !candidate.busy && candidate.deployed === config) ?? startEnvironment();
    environment.busy = true;
    const { child, shipper } = environment;
    return new Promise((resolve) => {
      const finish = (response: InvokeResponse) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        environment.busy = false;
        resolve(response);
      };
      // Lambda stops an invocation at the function's timeout and discards its environment.
      const timedOut = () => {
        shipper.add(`${new Date().toISOString()} ${request.requestId} Task timed out after ${config.timeoutSeconds.toFixed(2)} seconds`);
        environments.delete(environment);
        child.kill('SIGKILL');
        finish({ id: request.id, error: { message: `timed out after ${config.timeoutSeconds} s` } });
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

  return {
    get deployed() {
      return deployed;
    },
    logGroupName: deployed.logGroupName,
    invoke,
    environments: () => started,
    async stop() {
      stopping = true;
      await Promise.all(
        [...environments].map(({ child }) => {
          if (child.exitCode !== null || child.signalCode !== null) return undefined;
          // Ends an invocation in flight too: its promise resolves on the process's exit.
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          return exited;
        }),
      );
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
