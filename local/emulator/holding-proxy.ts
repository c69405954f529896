import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 in front of the emulator, for the SDK's endpoint. It forwards every request,
 * except S3 copies (CopyObject and UploadPartCopy: a PUT with `x-amz-copy-source`), which it holds without
 * answering: a copy then stays in flight for as long as a test needs. It also notes when the first SQS
 * ReceiveMessage arrives.
 */
export interface HoldingProxy {
  readonly endpoint: string;
  /** Resolves when the first copy is being held. */
  readonly copyHeld: Promise<void>;
  /** Resolves with `performance.now()` at the first ReceiveMessage request. */
  readonly firstReceive: Promise<number>;
  /** Copies held and then given up by the client (the worker aborted them). */
  abandonedCopies(): number;
  close(): Promise<void>;
}

export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const upstream = new URL(target);
  const held = new Set<ServerResponse>();
  let abandoned = 0;
  let copyHeld!: () => void;
  let firstReceive!: (at: number) => void;
  const copyHeldPromise = new Promise<void>((resolve) => (copyHeld = resolve));
  const firstReceivePromise = new Promise<number>((resolve) => (firstReceive = resolve));

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const outgoing = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => res.destroy());
    req.pipe(outgoing);
  };

  const server: Server = createServer((req, res) => {
    if (req.headers['x-amz-target'] === 'AmazonSQS.ReceiveMessage') firstReceive(performance.now());
    if (req.method === 'PUT' && req.headers['x-amz-copy-source'] !== undefined) {
      held.add(res);
      req.resume();
      res.on('close', () => {
        if (held.delete(res)) abandoned += 1;
      });
      copyHeld();
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    copyHeld: copyHeldPromise,
    firstReceive: firstReceivePromise,
    abandonedCopies: () => abandoned,
    async close() {
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
