/**
 * Runs in a child process as the emulated function's execution environment: the handler module is
 * loaded on the first invocation (the cold start, where the orchestrator validates its configuration)
 * and reused for the next ones, as a warm Lambda container is. Invocations arrive over IPC.
 */
import { randomUUID } from 'node:crypto';

export interface InvokeRequest {
  readonly id: number;
  readonly event: unknown;
  readonly timeoutMs: number;
}
export type InvokeResponse =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly message: string; readonly stack?: string } };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

function main(): void {
  const [modulePath, exportName] = process.argv.slice(2);
  let handler: Handler | undefined;
  process.on('message', async (request: InvokeRequest) => {
    const deadline = Date.now() + request.timeoutMs;
    let response: InvokeResponse;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler ??= require(modulePath)[exportName] as Handler;
      if (typeof handler !== 'function') throw new Error(`${modulePath} does not export a function "${exportName}"`);
      const context = {
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      response = { id: request.id, result: await handler(request.event, context) };
    } catch (error) {
      // A failed cold start is retried on the next invocation, as Lambda retries a failed init.
      if (typeof handler !== 'function') handler = undefined;
      response = { id: request.id, error: { message: (error as Error).message, stack: (error as Error).stack } };
    }
    process.send?.(response);
  });
}

if (require.main === module) main();
