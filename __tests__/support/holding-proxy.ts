import { createServer, request as forwardRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the emulator that forwards every request except those `hold` picks: these get no
 * answer until the client gives up on them. It keeps a spawned worker's job in flight for as long as a test
 * needs, without sleeping.
 */
export interface HoldingProxy {
  /** `http://127.0.0.1:<port>`: the worker's AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  /** Resolves when the first request is held. */
  readonly firstHeld: Promise<void>;
  close(): Promise<void>;
}

export async function startHoldingProxy(target: string, hold: (request: IncomingMessage) => boolean): Promise<HoldingProxy> {
  const upstream = new URL(target);
  let markHeld: () => void = () => undefined;
  const firstHeld = new Promise<void>((resolve) => (markHeld = resolve));
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (hold(request)) {
      request.resume();
      markHeld();
      return;
    }
    const forwarded = forwardRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    firstHeld,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
