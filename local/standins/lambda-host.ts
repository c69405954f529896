/**
 * Runs in a child process as the emulated function's execution environment: the handler module is
 * loaded on the first invocation (the cold start, where the orchestrator validates its configuration)
 * and reused for the next ones, as a warm Lambda container is. Invocations arrive over IPC. Around each
 * one it writes Lambda's START, END and REPORT lines to stdout, in line with the handler's own output.
 */

export interface InvokeRequest {
  readonly id: number;
  /** The invocation's request id, as Lambda assigns it (the context's `awsRequestId`). */
  readonly requestId: string;
  readonly event: unknown;
  readonly timeoutMs: number;
  /** Fault injection (the schedule's crashNextInvocation): the environment dies as the handler starts. */
  readonly crash?: boolean;
}
/** Sent when the init phase is over and the handler starts: the function's timeout counts from here. */
export interface InvokeStarted {
  readonly id: number;
  readonly started: true;
}
export type InvokeResponse =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly message: string; readonly stack?: string } };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** Lambda's REPORT line (text log format), without the init duration. */
function reportLine(requestId: string, durationMs: number, memorySizeMb: number, maxMemoryUsedKb: number): string {
  return [
    `REPORT RequestId: ${requestId}`,
    `Duration: ${durationMs.toFixed(2)} ms`,
    `Billed Duration: ${Math.max(1, Math.ceil(durationMs))} ms`,
    `Memory Size: ${memorySizeMb} MB`,
    `Max Memory Used: ${Math.ceil(maxMemoryUsedKb / 1024)} MB`,
  ].join('\t');
}

function loadHandler(modulePath: string, exportName: string): Handler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const handler = require(modulePath)[exportName] as Handler;
  if (typeof handler !== 'function') throw new Error(`${modulePath} does not export a function "${exportName}"`);
  return handler;
}

/** The Node.js runtime's line for an invocation error. */
function invokeErrorLine(requestId: string, error: Error): string {
  const body = JSON.stringify({ errorType: error.name, errorMessage: error.message, stack: error.stack?.split('\n') });
  return `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${body}`;
}

const errorResponse = (id: number, error: Error): InvokeResponse => ({ id, error: { message: error.message, stack: error.stack } });

function main(): void {
  // stdout and stderr are sockets here, written asynchronously: lines already written reach the log
  // before the environment goes away, as a Lambda function's do at shutdown.
  process.once('SIGTERM', () => process.stdout.write('', () => process.stderr.write('', () => process.exit(0))));
  // Same stream as the handler's own output, so these lines keep their place among its lines.
  const writeLine = (line: string) => process.stdout.write(`${line}\n`);
  const [modulePath, exportName] = process.argv.slice(2);
  const memorySizeMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 128);
  let handler: Handler | undefined;
  process.on('message', async (request: InvokeRequest) => {
    try {
      // The init phase (cold start): loading the module runs its top-level code. A failed init is
      // retried on the next invocation, as Lambda retries it.
      handler ??= loadHandler(modulePath, exportName);
    } catch (error) {
      writeLine(invokeErrorLine(request.requestId, error as Error));
      process.send?.(errorResponse(request.id, error as Error));
      return;
    }
    process.send?.({ id: request.id, started: true } satisfies InvokeStarted);
    const started = performance.now();
    const deadline = Date.now() + request.timeoutMs;
    writeLine(`START RequestId: ${request.requestId} Version: ${process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST'}`);
    if (request.crash) {
      // What Lambda logs when an environment dies mid-invocation (an out-of-memory kill, say). The lines
      // already written go out first: a kill would drop what is still buffered in the socket.
      writeLine(`RequestId: ${request.requestId} Error: Runtime exited with error: signal: killed\nRuntime.ExitError`);
      process.stdout.write('', () => process.stderr.write('', () => process.kill(process.pid, 'SIGKILL')));
      return;
    }
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: String(memorySizeMb),
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      awsRequestId: request.requestId,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let response: InvokeResponse;
    try {
      response = { id: request.id, result: await handler(request.event, context) };
    } catch (error) {
      writeLine(invokeErrorLine(request.requestId, error as Error));
      response = errorResponse(request.id, error as Error);
    }
    writeLine(`END RequestId: ${request.requestId}`);
    writeLine(reportLine(request.requestId, performance.now() - started, memorySizeMb, process.resourceUsage().maxRSS));
    process.send?.(response);
  });
}

if (require.main === module) main();
