import * as net from 'node:net';

/** True when nothing listens on 127.0.0.1:`port`. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The port asked for when it is free; otherwise undefined (the emulator then picks a free one) and
 * one line saying so.
 */
export async function usablePort(port: number | undefined, progress?: (line: string) => void): Promise<number | undefined> {
  if (port === undefined || (await isPortFree(port))) return port;
  progress?.(`port ${port} is in use: using a free port instead`);
  return undefined;
}
