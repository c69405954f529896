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

function main(): void {
  // stdout and stderr are sockets here, written asynchronously: lines already written reach the log
  // before the environment goes away, as a Lambda function's do at shutdown.
  process.once('SIGTERM', () => process.stdout.write('', () => process.stderr.write('', () => process.exit(0))));
  const [modulePath, exportName] = process.argv.slice(2);
  const memorySizeMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 128);
  let handler: Handler | undefined;
  process.on('message', async (request: InvokeRequest) => {
    const started = performance.now();
    const deadline = Date.now() + request.timeoutMs;
    // Same stream as the handler's own output, so these lines keep their place among its lines.
    process.stdout.write(`START RequestId: ${request.requestId} Version: ${process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST'}\n`);
    let response: InvokeResponse;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler ??= require(modulePath)[exportName] as Handler;
      if (typeof handler !== 'function') throw new Error(`${modulePath} does not export a function "${exportName}"`);
      const context = {
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
        memoryLimitInMB: String(memorySizeMb),
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
        awsRequestId: request.requestId,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      response = { id: request.id, result: await handler(request.event, context) };
    } catch (error) {
      // A failed cold start is retried on the next invocation, as Lambda retries a failed init.
      if (typeof handler !== 'function') handler = undefined;
      const { name, message, stack } = error as Error;
      // The Node.js runtime's line for an invocation error.
      process.stdout.write(`${new Date().toISOString()}\t${request.requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: name, errorMessage: message, stack: stack?.split('\n') })}\n`);
      response = { id: request.id, error: { message, stack } };
    }
    process.stdout.write(`END RequestId: ${request.requestId}\n`);
    process.stdout.write(`${reportLine(request.requestId, performance.now() - started, memorySizeMb, process.resourceUsage().maxRSS)}\n`);
    process.send?.(response);
  });
}

if (require.main === module) main();
