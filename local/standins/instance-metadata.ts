import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one emulated instance's metadata says about it. */
export interface InstanceIdentity {
  readonly instanceId: string;
  readonly instanceType: string;
  /** IMDS `instance-life-cycle`: `spot` or `on-demand`. */
  readonly lifecycle: string;
}

/** The instance metadata service of one emulated instance, on 127.0.0.1, as the worker reads it (IMDSv2). */
export interface InstanceMetadataStandIn {
  /** `http://127.0.0.1:<port>`: the worker's WORKER_IMDS_ENDPOINT. */
  readonly endpoint: string;
  /**
   * Posts the Spot interruption notice, as EC2 does two minutes before it terminates the instance:
   * `spot/instance-action` answers `{"action": "terminate", "time": "<deadline>"}` from now on.
   */
  interrupt(noticeMs?: number): { readonly deadlineMs: number };
  /** Posts the rebalance recommendation (`events/recommendations/rebalance`). */
  recommendRebalance(): void;
  /** Refuses every token issued so far (401), as IMDS does with an expired one. */
  expireTokens(): void;
  /** Tokens issued so far. */
  tokensIssued(): number;
  close(): Promise<void>;
}

/** EC2's notice: two minutes (AWS, "Spot Instance interruption notices"). */
export const SPOT_NOTICE_MS = 120_000;

/**
 * IMDSv2 for one instance: a PUT to /latest/api/token with a TTL header gives a token; a GET of
 * /latest/meta-data/<path> without a token the stand-in issued answers 401, an unknown path 404 — as IMDS does
 * with `HttpTokens=required`. The notices answer 404 until posted.
 */
export async function startInstanceMetadata(identity: InstanceIdentity): Promise<InstanceMetadataStandIn> {
  const tokens = new Set<string>();
  let issued = 0;
  const values = new Map<string, string>([
    ['instance-id', identity.instanceId],
    ['instance-type', identity.instanceType],
    ['instance-life-cycle', identity.lifecycle],
  ]);
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body = '') => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return answer(400);
      const token = randomUUID();
      tokens.add(token);
      issued += 1;
      return answer(200, token);
    }
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || !tokens.has(token)) return answer(401);
    const prefix = '/latest/meta-data/';
    const value = req.method === 'GET' && req.url?.startsWith(prefix) ? values.get(req.url.slice(prefix.length)) : undefined;
    return value === undefined ? answer(404) : answer(200, value);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    interrupt(noticeMs = SPOT_NOTICE_MS) {
      const deadlineMs = Date.now() + noticeMs;
      values.set('spot/instance-action', JSON.stringify({ action: 'terminate', time: new Date(deadlineMs).toISOString().replace(/\.\d{3}Z$/, 'Z') }));
      return { deadlineMs };
    },
    recommendRebalance() {
      values.set('events/recommendations/rebalance', JSON.stringify({ noticeTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }));
    },
    expireTokens() {
      tokens.clear();
    },
    tokensIssued: () => issued,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
