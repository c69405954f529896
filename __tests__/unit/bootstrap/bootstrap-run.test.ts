import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NODE_SHA256, NODE_VERSION } from '../../../runtime/bootstrap/user-data-template';
import { renderUserData } from '../../../runtime/bootstrap/user-data';

/**
 * Runs the rendered bootstrap for real with bash, with stand-ins on PATH for what only an instance has:
 * curl (IMDS, nodejs.org, S3), shutdown, runuser and chown. The stand-ins record their arguments. The
 * only edits to the script move /opt into a scratch directory and, for the runs that should get past
 * the checksum, pin the fake Node.js archive's SHA-256.
 */

const FAKE_SECRET = 'fake/secret+key';
const FAKE_SESSION_TOKEN = 'fake-session-token';

const CURL = `#!/bin/bash
printf '%s\\n' "$*" >>"$RECORD/curl.args"
out='' url='' upload='' config=false
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift ;;
    -T) upload=$2; shift ;;
    --config) [ "$2" = - ] && config=true; shift ;;
    -H|-X|--aws-sigv4|--retry|--connect-timeout|--max-time) shift ;;
    http*) url=$1 ;;
  esac
  shift
done
if $config; then cat >"$RECORD/curl.config"; fi
case "$url" in
  */api/token) [ -z "\${FAIL_IMDS:-}" ] || exit 22; echo imds-token ;;
  */meta-data/instance-id) echo i-0123456789abcdef0 ;;
  */meta-data/iam/security-credentials/) echo worker-role ;;
  */meta-data/iam/security-credentials/worker-role)
    echo '{"Code":"Success","AccessKeyId":"ASIAFAKE","SecretAccessKey":"${FAKE_SECRET}","Token":"${FAKE_SESSION_TOKEN}"}' ;;
  https://nodejs.org/*) [ -z "\${FAIL_NODE_DOWNLOAD:-}" ] || exit 22; cp "$FAKE_NODE_ARCHIVE" "$out" ;;
  https://*.amazonaws.com/*)
    if [ -n "$upload" ]; then
      [ -z "\${FAIL_UPLOAD:-}" ] || exit 22
      cp "$upload" "$RECORD/uploaded.log"
      echo "upload $url" >>"$RECORD/sequence"
    else
      echo 'worker bundle' >"$out"
    fi ;;
  *) exit 22 ;;
esac
`;

const RUNUSER = `#!/bin/bash
printf '%s\\n' "$*" >"$RECORD/runuser.args"
env >"$RECORD/runuser.env"
echo "worker output"
exit "\${WORKER_EXIT_STATUS:-0}"
`;

const SHUTDOWN = `#!/bin/bash
printf '%s\\n' "$*" >>"$RECORD/shutdown.args"
echo shutdown >>"$RECORD/sequence"
`;

const CHOWN = `#!/bin/bash
printf '%s\\n' "$*" >>"$RECORD/chown.args"
`;

let root: string;
let fakeArchive: string;
let fakeArchiveSha256: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'bootstrap-run-'));
  // A Node.js archive laid out like the real one, whose node runs this machine's node.
  const staging = path.join(root, 'staging', `node-v${NODE_VERSION}-linux-x64`, 'bin');
  mkdirSync(staging, { recursive: true });
  writeFileSync(path.join(staging, 'node'), `#!/bin/bash\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 });
  fakeArchive = path.join(root, 'node.tar.xz');
  const tar = spawnSync('tar', ['-cJf', fakeArchive, '-C', path.join(root, 'staging'), `node-v${NODE_VERSION}-linux-x64`]);
  expect(tar.status).toBe(0);
  fakeArchiveSha256 = createHash('sha256').update(readFileSync(fakeArchive)).digest('hex');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly record: (name: string) => string | undefined;
  readonly logFile: string;
  readonly optDir: string;
}

function runBootstrap(name: string, options: { trustFakeNode: boolean; env?: Record<string, string> }): Run {
  const dir = path.join(root, name);
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'record');
  const optDir = path.join(dir, 'opt');
  for (const d of [bin, record, optDir]) mkdirSync(d, { recursive: true });
  for (const [command, body] of Object.entries({ curl: CURL, runuser: RUNUSER, shutdown: SHUTDOWN, chown: CHOWN })) {
    writeFileSync(path.join(bin, command), body);
    chmodSync(path.join(bin, command), 0o755);
  }
  const logFile = path.join(dir, 'sqs_worker.logs');
  let script = renderUserData({
    region: 'eu-west-1',
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
    tableName: 'items',
    bucketName: 'pipeline-bucket',
    workerCodeKey: 'worker/worker.js',
    autoterminateMinutes: 5,
    logPath: logFile,
  }).replaceAll('=/opt/', `=${optDir}/`);
  if (options.trustFakeNode) script = script.replace(`NODE_SHA256='${NODE_SHA256}'`, `NODE_SHA256='${fakeArchiveSha256}'`);
  const file = path.join(dir, 'user-data.sh');
  writeFileSync(file, script);

  const result = spawnSync('bash', [file], {
    encoding: 'utf8',
    // stdin not a socket: Debian's bash would otherwise take itself for an ssh session and read ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      RECORD: record,
      FAKE_NODE_ARCHIVE: fakeArchive,
      ...options.env,
    },
  });
  return {
    status: result.status,
    stderr: result.stderr,
    record: (recordName) => {
      const recorded = path.join(record, recordName);
      return existsSync(recorded) ? readFileSync(recorded, 'utf8') : undefined;
    },
    logFile,
    optDir,
  };
}

/** The `event` of each bootstrap line in the log file (the worker's output lines are not JSON). */
function bootstrapEvents(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { source: string; event: string })
    .filter((entry) => entry.source === 'bootstrap')
    .map((entry) => entry.event);
}

const FAILURE_LOG_URL =
  /^https:\/\/pipeline-bucket\.s3\.eu-west-1\.amazonaws\.com\/logs\/i-0123456789abcdef0\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-bootstrap-failure\.log$/;

describe('the rendered bootstrap, run with stand-ins for the instance', () => {
  it('installs Node.js, fetches the worker, runs it as ubuntu with the environment, then powers off', () => {
    const run = runBootstrap('happy', { trustFakeNode: true });

    expect(run.stderr).toContain('the worker exited with status 0');
    expect(run.status).toBe(0);
    expect(run.record('shutdown.args')).toBe('-h now\n');
    expect(run.record('runuser.args')).toBe(
      `-u ubuntu -- ${run.optDir}/nodejs/bin/node ${run.optDir}/rag-worker/worker.js\n`,
    );
    expect(readFileSync(path.join(run.optDir, 'rag-worker', 'worker.js'), 'utf8')).toBe('worker bundle\n');
    const log = readFileSync(run.logFile, 'utf8');
    expect(bootstrapEvents(log)).toEqual(['bootstrap_started', 'node_download_started', 'node_installed', 'worker_fetch_started', 'worker_starting', 'worker_exited', 'bootstrap_exiting']);
    expect(log).toContain('worker output\n');
    expect(run.record('chown.args')).toBe(`ubuntu:ubuntu ${run.logFile}\n`);

    const workerEnv = run.record('runuser.env') ?? '';
    expect(workerEnv).toContain('WORKER_INSTANCE_ID=i-0123456789abcdef0\n');
    expect(workerEnv).toContain('SQS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/work\n');
    expect(workerEnv).toContain(`WORKER_LOG_PATH=${run.logFile}\n`);
    expect(workerEnv).not.toContain(FAKE_SECRET);
  });

  it('signs the S3 request with the instance credentials without putting them on a command line', () => {
    const run = runBootstrap('signing', { trustFakeNode: true });

    const curlCalls = (run.record('curl.args') ?? '').trim().split('\n');
    const s3Call = curlCalls.find((call) => call.includes('amazonaws.com/'));
    expect(s3Call).toContain('--aws-sigv4 aws:amz:eu-west-1:s3');
    expect(s3Call).toContain('x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(s3Call).toMatch(/ https:\/\/pipeline-bucket\.s3\.eu-west-1\.amazonaws\.com\/worker\/worker\.js$/);
    expect(curlCalls.join('\n')).not.toContain(FAKE_SECRET);
    expect(curlCalls.join('\n')).not.toContain(FAKE_SESSION_TOKEN);
    expect(run.record('curl.config')).toBe(
      `user = "ASIAFAKE:${FAKE_SECRET}"\nheader = "x-amz-security-token: ${FAKE_SESSION_TOKEN}"\n`,
    );
  });

  it('uses IMDSv2: every metadata read carries the session token', () => {
    const run = runBootstrap('imdsv2', { trustFakeNode: true });

    const metadataCalls = (run.record('curl.args') ?? '').split('\n').filter((call) => call.includes('169.254.169.254'));
    expect(metadataCalls[0]).toMatch(/-X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 300 http:\/\/169\.254\.169\.254\/latest\/api\/token$/);
    for (const call of metadataCalls.filter((c) => c.includes('/meta-data/'))) {
      expect(call).toContain('-H X-aws-ec2-metadata-token: imds-token');
    }
  });

  it('powers off with the worker’s status when the worker fails', () => {
    const run = runBootstrap('worker-fails', { trustFakeNode: true, env: { WORKER_EXIT_STATUS: '3' } });

    expect(run.status).toBe(3);
    expect(run.record('shutdown.args')).toBe('-h now\n');
  });

  it('refuses a Node.js archive whose checksum differs, powers off and never starts the worker', () => {
    const run = runBootstrap('bad-checksum', { trustFakeNode: false });

    expect(run.status).not.toBe(0);
    expect(run.record('shutdown.args')).toBe('-h now\n');
    expect(run.record('runuser.args')).toBeUndefined();
    expect(existsSync(path.join(run.optDir, 'nodejs', 'bin', 'node'))).toBe(false);
    expect(run.record('curl.args')).not.toContain('worker/worker.js');
  });

  it('powers off when the instance metadata cannot be read', () => {
    const run = runBootstrap('no-imds', { trustFakeNode: true, env: { FAIL_IMDS: '1' } });

    expect(run.status).not.toBe(0);
    expect(run.record('shutdown.args')).toBe('-h now\n');
    expect(run.record('runuser.args')).toBeUndefined();
  });

  it('uploads the log to S3 and then powers off when the Node.js download fails, without Node.js', () => {
    const run = runBootstrap('node-download-fails', { trustFakeNode: true, env: { FAIL_NODE_DOWNLOAD: '1' } });

    expect(run.status).not.toBe(0);
    expect(run.record('runuser.args')).toBeUndefined();
    const sequence = (run.record('sequence') ?? '').trim().split('\n');
    expect(sequence).toHaveLength(2);
    expect(sequence[0]).toMatch(/^upload /);
    expect(sequence[0].slice('upload '.length)).toMatch(FAILURE_LOG_URL);
    expect(sequence[1]).toBe('shutdown');
    // What reached S3 tells the story up to the failure.
    expect(bootstrapEvents(run.record('uploaded.log') ?? '')).toEqual([
      'bootstrap_started',
      'node_download_started',
      'bootstrap_exiting',
    ]);
    expect(existsSync(path.join(run.optDir, 'nodejs', 'bin', 'node'))).toBe(false);
  });

  it('signs the failure upload with the instance credentials, unsigned payload, nothing secret on a command line', () => {
    const run = runBootstrap('upload-signing', { trustFakeNode: true, env: { FAIL_NODE_DOWNLOAD: '1' } });

    const curlCalls = (run.record('curl.args') ?? '').trim().split('\n');
    const uploadCall = curlCalls.find((call) => call.includes(' -T '));
    expect(uploadCall).toContain('--aws-sigv4 aws:amz:eu-west-1:s3');
    expect(uploadCall).toContain('-H x-amz-content-sha256: UNSIGNED-PAYLOAD');
    expect(uploadCall).toContain(`-T ${run.logFile}`);
    expect(uploadCall).toMatch(/--max-time 30/);
    expect(curlCalls.join('\n')).not.toContain(FAKE_SECRET);
    expect(curlCalls.join('\n')).not.toContain(FAKE_SESSION_TOKEN);
    expect(run.record('curl.config')).toBe(
      `user = "ASIAFAKE:${FAKE_SECRET}"\nheader = "x-amz-security-token: ${FAKE_SESSION_TOKEN}"\n`,
    );
  });

  it('uploads the log, the worker’s output included, and then powers off when the worker is killed', () => {
    const run = runBootstrap('worker-killed', { trustFakeNode: true, env: { WORKER_EXIT_STATUS: '137' } });

    expect(run.status).toBe(137);
    const sequence = (run.record('sequence') ?? '').trim().split('\n');
    expect(sequence.map((entry) => entry.split(' ')[0])).toEqual(['upload', 'shutdown']);
    expect(sequence[0].slice('upload '.length)).toMatch(FAILURE_LOG_URL);
    const uploaded = run.record('uploaded.log') ?? '';
    expect(uploaded).toContain('worker output\n');
    expect(uploaded).toContain('the worker exited with status 137');
  });

  it('uploads nothing of its own after a clean exit (the worker ships its log) and powers off', () => {
    const run = runBootstrap('clean-exit', { trustFakeNode: true });

    expect(run.status).toBe(0);
    expect(run.record('sequence')).toBe('shutdown\n');
    expect(run.record('uploaded.log')).toBeUndefined();
    expect(run.record('curl.args')).not.toContain(' -T ');
  });

  it('still powers off when the upload itself fails, and says so in the log', () => {
    const run = runBootstrap('upload-fails', { trustFakeNode: true, env: { FAIL_NODE_DOWNLOAD: '1', FAIL_UPLOAD: '1' } });

    expect(run.status).not.toBe(0);
    expect(run.record('sequence')).toBe('shutdown\n');
    expect(bootstrapEvents(readFileSync(run.logFile, 'utf8'))).toContain('bootstrap_log_upload_failed');
  });
});
