import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';

/**
 * The local stand-in for EC2's `ClientToken` idempotency, which the emulator lacks (moto creates a second
 * instance for a reused token). The orchestrator's runs overlap (the wake queue's two batches and the
 * schedule) and rely on it to stay within MAX_WORKERS (docs/orchestrator.md, "Overlapping runs"), so the local
 * run points the orchestrator's EC2 client (`AWS_ENDPOINT_URL_EC2`) at this proxy in front of the emulator. It
 * forwards every request and implements the two rules the orchestrator depends on:
 *  - a RunInstances whose token already launched an instance returns that launch's response, and launches
 *    nothing (concurrent requests with one token wait for the first);
 *  - if that instance is shutting down or terminated, it answers `IdempotentInstanceTerminated`
 *    (boto/boto3#4406).
 * A refused request binds nothing here: the same token is forwarded again. The parameter-mismatch rule is not
 * emulated: every parameter is in the orchestrator's token, so it never reuses one with other parameters.
 */
export interface ClientTokenProxy {
  readonly endpoint: string;
  /** RunInstances requests answered from an earlier launch with the same token. */
  replays(): number;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What EC2 says for the token of a terminated instance (boto/boto3#4406). */
const TERMINATED_MESSAGE =
  'The client token you have provided is associated with a resource that is already deleted. Please use a different client token.';

export async function startClientTokenProxy(target: string, ec2: EC2Client): Promise<ClientTokenProxy> {
  const upstream = new URL(target);
  const launches = new Map<string, Promise<Answer>>();
  let replays = 0;

  const forward = (req: IncomingMessage, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const runInstances = async (req: IncomingMessage, body: Buffer, token: string): Promise<Answer> => {
    const earlier = launches.get(token);
    if (earlier) {
      const first = await earlier;
      if (first.status === 200) {
        replays += 1;
        const instanceId = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(first.body.toString('utf8'))?.[1];
        return (await isGone(ec2, instanceId)) ? terminatedAnswer() : first;
      }
    }
    const launch = forward(req, body);
    launches.set(token, launch);
    const answer = await launch.catch((error: unknown) => {
      launches.delete(token);
      throw error;
    });
    if (answer.status !== 200) launches.delete(token);
    return answer;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      const token = form.get('Action') === 'RunInstances' ? form.get('ClientToken') : null;
      (token ? runInstances(req, body, token) : forward(req, body)).then(
        (answer) => {
          res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
          res.end(answer.body);
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    replays: () => replays,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function isGone(ec2: EC2Client, instanceId: string | undefined): Promise<boolean> {
  if (!instanceId) return false;
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const state = Reservations[0]?.Instances?.[0]?.State?.Name;
  return state === 'shutting-down' || state === 'terminated';
}

function terminatedAnswer(): Answer {
  const body = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Response><Errors><Error><Code>IdempotentInstanceTerminated</Code><Message>${TERMINATED_MESSAGE}</Message></Error></Errors>` +
      '<RequestID>local-client-token-proxy</RequestID></Response>',
  );
  return { status: 400, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body };
}
