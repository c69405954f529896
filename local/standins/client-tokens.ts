import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModifyInstanceAttributeCommand, type EC2Client } from '@aws-sdk/client-ec2';

/**
 * The local stand-in for what the emulator's CreateFleet lacks, in front of it for the orchestrator's EC2 client
 * (`AWS_ENDPOINT_URL_EC2`). It forwards every request and adds the two things the orchestrator depends on:
 *  - ClientToken idempotency (moto launches again for a reused token): a CreateFleet whose token already
 *    launched an instance returns that request's answer and launches nothing, as EC2 does ("If you retry a
 *    request that completed successfully using the same client token and the same parameters, the retry succeeds
 *    without performing any further actions"); concurrent requests with one token wait for the first. The
 *    orchestrator's overlapping runs (the wake queue's and the schedule's) rely on it to stay within MAX_WORKERS
 *    (docs/orchestrator.md, "Overlapping runs"). A fleet that launched nothing binds nothing here: the same token is
 *    forwarded again (whether EC2 does is undocumented; docs/capacity.md).
 *  - The request's user data (LaunchTemplateSpecificationUserData): moto's request model predates the field and
 *    drops it, so the proxy sets it on each launched instance (ModifyInstanceAttribute), where the local
 *    instance runner reads it.
 * The parameter-mismatch rule is not emulated: every parameter is in the orchestrator's token, so it never reuses
 * one with other parameters.
 */
export interface ClientTokenProxy {
  readonly endpoint: string;
  /** CreateFleet requests answered from an earlier launch with the same token. */
  replays(): number;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The query parameter holding the request's user data, as the SDK serializes CreateFleet. */
const USER_DATA_PARAMETER = /^LaunchTemplateConfigs\.\d+\.LaunchTemplateSpecification\.LaunchTemplateSpecificationUserData$/;

export async function startClientTokenProxy(target: string, ec2: EC2Client): Promise<ClientTokenProxy> {
  const upstream = new URL(target);
  const fleets = new Map<string, Promise<Answer>>();
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

  const launch = async (req: IncomingMessage, body: Buffer, form: URLSearchParams): Promise<Answer> => {
    const answer = await forward(req, body);
    const userData = [...form.entries()].find(([name]) => USER_DATA_PARAMETER.test(name))?.[1];
    if (answer.status === 200 && userData) {
      for (const instanceId of launchedInstanceIds(answer.body)) {
        // moto reads the blob it receives as the base64 text of the user data (as RunInstances' UserData is), so
        // it gets that text's bytes; DescribeInstanceAttribute then answers the same base64 as for RunInstances.
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, UserData: { Value: Buffer.from(userData, 'utf8') } }));
      }
    }
    return answer;
  };

  const createFleet = async (req: IncomingMessage, body: Buffer, form: URLSearchParams, token: string): Promise<Answer> => {
    const earlier = fleets.get(token);
    if (earlier) {
      const first = await earlier.catch(() => undefined);
      if (first?.status === 200 && launchedInstanceIds(first.body).length > 0) {
        replays += 1;
        return first;
      }
    }
    const answer = launch(req, body, form);
    fleets.set(token, answer);
    return answer.catch((error: unknown) => {
      fleets.delete(token);
      throw error;
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      const token = form.get('Action') === 'CreateFleet' ? form.get('ClientToken') : null;
      (token ? createFleet(req, body, form, token) : forward(req, body)).then(
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

/** The instance IDs in a CreateFleet response (EC2's XML: `<instanceIds><item>i-…</item></instanceIds>`). */
function launchedInstanceIds(body: Buffer): string[] {
  const xml = body.toString('utf8');
  return [...xml.matchAll(/<instanceIds>([\s\S]*?)<\/instanceIds>/g)].flatMap(([, items]) => [...items.matchAll(/<item>(i-[0-9a-f]+)<\/item>/g)].map(([, id]) => id));
}
