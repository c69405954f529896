import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { nodeRuntimeSha512Hex } from '../../contracts';
import { NetworkBounds, WORKER_SERVICE } from '../../runtime/bootstrap/user-data-template';
import { renderUserData, type UserDataParams } from '../../runtime/bootstrap/user-data';

/**
 * Runs the rendered bootstrap for real with bash, with stand-ins on PATH for what only an instance has:
 * curl (IMDS and S3: the Node.js archive, the worker bundle, the setup script), shutdown, useradd, chown, and systemctl with the part of systemd the worker's unit
 * uses (systemd-standin.js). The stand-ins record what they are asked to do. The only edits to the script
 * move /opt, /etc/systemd/system and /var/log/rag-worker into a scratch directory and, with a fake Node.js
 * archive, pin that archive's SHA-512.
 */

export const INSTANCE_ID = 'i-0123456789abcdef0';
export const FAKE_SECRET = 'fake/secret+key';
export const FAKE_SESSION_TOKEN = 'fake-session-token';

/** The curl each Ubuntu LTS ships (packages.ubuntu.com: noble 8.5.0, jammy 7.81.0, focal 7.68.0). */
export const UBUNTU_CURL_VERSIONS = { '24.04': '8.5.0', '22.04': '7.81.0', '20.04': '7.68.0' } as const;

const STANDIN_DIR = __dirname;

/** Each stand-in first reads the run's settings: the unit's processes get a clean environment, as on systemd. */
const PREAMBLE = (settings: string) => `#!/bin/bash\nset -a\n. '${settings}'\nset +a\n`;

const CURL = String.raw`
if [ "$1" = --version ]; then
  echo "curl $CURL_VERSION (x86_64-pc-linux-gnu) libcurl/$CURL_VERSION OpenSSL/3.0.13"
  echo "Protocols: http https"
  exit 0
fi
printf '%s\n' "$*" >>"$RECORD/curl.args"
# The same call, one argument per field (\x1f), for tests that replay it with the real curl.
{ printf '%s\x1f' "$@"; printf '\n'; } >>"$RECORD/curl.argv"
out='' url='' upload='' config=false sigv4=false amz_header=false
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift ;;
    -T) upload=$2; shift ;;
    --config) [ "$2" = - ] && config=true; shift ;;
    --aws-sigv4) sigv4=true; shift ;;
    -H) case "$2" in [Xx]-[Aa][Mm][Zz]-*) amz_header=true ;; esac; shift ;;
    -X|--retry|--retry-max-time|--connect-timeout|--max-time|--speed-limit|--speed-time) shift ;;
    http*) url=$1 ;;
  esac
  shift
done
if $config; then cat >"$RECORD/curl.config"; fi
# What an older curl does with the script's S3 requests (lib/http_aws_sigv4.c at the release tags): before 7.75
# there is no --aws-sigv4; before 7.86 a caller's x-amz-* headers go unsigned, and before 7.87 curl replaces a
# caller's x-amz-content-sha256; S3 refuses either request with a 403.
IFS=.- read -r major minor patch _ <<<"$CURL_VERSION"
version=$((major * 1000000 + minor * 1000 + patch))
if $sigv4 && [ "$version" -lt 7075000 ]; then
  echo 'curl: option --aws-sigv4: is unknown' >&2
  exit 2
fi
case "$url" in
  https://*.amazonaws.com/*)
    if $sigv4 && $amz_header && [ "$version" -lt 7087000 ]; then
      echo 'curl: (22) The requested URL returned error: 403' >&2
      exit 22
    fi ;;
esac
case "$url" in
  */api/token) [ -z "$FAIL_IMDS" ] || exit 22; echo imds-token ;;
  */meta-data/instance-id) echo ${INSTANCE_ID} ;;
  */meta-data/iam/security-credentials/) echo worker-role ;;
  */meta-data/iam/security-credentials/worker-role)
    # The first CREDENTIALS_NOT_YET reads answer as IMDS does while the profile is not served yet: 404, then a
    # document without keys.
    reads=$(( $(cat "$RECORD/credential-reads" 2>/dev/null || echo 0) + 1 ))
    echo "$reads" >"$RECORD/credential-reads"
    if [ "$reads" -le "$CREDENTIALS_NOT_YET" ]; then
      [ $((reads % 2)) -eq 1 ] && exit 22
      echo '{"Code":"AssumeRoleUnauthorizedAccess","Message":"not yet"}'
      exit 0
    fi
    echo '{"Code":"Success","AccessKeyId":"ASIAFAKE","SecretAccessKey":"${FAKE_SECRET}","Token":"${FAKE_SESSION_TOKEN}"}' ;;
  https://*.amazonaws.com/*)
    if [ -n "$upload" ]; then
      [ -z "$FAIL_UPLOAD" ] || exit 22
      case "$url" in
        */logs/boot-failures/*) cp "$upload" "$RECORD/marker.json"; echo "marker $url" >>"$RECORD/sequence" ;;
        *) cp "$upload" "$RECORD/uploaded.log"; echo "upload $url" >>"$RECORD/sequence" ;;
      esac
    else
      case "$url" in
        */runtime/*) [ -z "$FAIL_NODE_DOWNLOAD" ] || exit 22; cp "$FAKE_NODE_ARCHIVE" "$out" ;;
        */worker/setup) [ -z "$FAIL_SETUP_DOWNLOAD" ] || exit 22; cp "$SETUP_SCRIPT" "$out" ;;
        *) [ -z "$FAIL_WORKER_DOWNLOAD" ] || exit 22; cp "$WORKER_BUNDLE" "$out" ;;
      esac
    fi ;;
  *) exit 22 ;;
esac
`;

const SHUTDOWN = `
printf '%s\\n' "$*" >>"$RECORD/shutdown.args"
echo shutdown >>"$RECORD/sequence"
`;

const RECORDING = (name: string) => `
printf '%s\\n' "$*" >>"$RECORD/${name}.args"
`;

export interface BootstrapRunOptions {
  /** The Node.js archive the bucket serves (npm layout: package/bin/node). */
  readonly nodeArchive: string;
  /** true: the archive is the real pinned runtime, so the script keeps its pinned SHA-512. */
  readonly pinnedArchive?: boolean;
  /** The file the bucket serves as the worker bundle. */
  readonly workerBundle: string;
  /** Values for the rendered user data; the log path is the run's own. */
  readonly params: Omit<UserDataParams, 'logPath'>;
  /** The file the bucket serves as the setup script (when `params.setup` names one). */
  readonly setupScript?: string;
  /** FAIL_IMDS, FAIL_NODE_DOWNLOAD, FAIL_WORKER_DOWNLOAD, FAIL_SETUP_DOWNLOAD, FAIL_UPLOAD: set to 1 to make that step fail. */
  readonly failures?: Partial<Record<'FAIL_IMDS' | 'FAIL_NODE_DOWNLOAD' | 'FAIL_WORKER_DOWNLOAD' | 'FAIL_SETUP_DOWNLOAD' | 'FAIL_UPLOAD', '1'>>;
  /** What `curl --version` reports. @default {@link UBUNTU_CURL_VERSIONS}['24.04'] */
  readonly curlVersion?: string;
  /**
   * How many reads of the role's credentials answer as IMDS does before the instance profile is served (a 404,
   * then a document without keys, alternately). @default 0
   */
  readonly credentialsNotYet?: number;
  /** Shortens the boot's wait for the credentials (and the failure report's) to this many seconds. */
  readonly credentialsWaitSeconds?: number;
  /** Extra environment for the unit's processes (credentials and endpoint for the emulator). */
  readonly serviceEnv?: Record<string, string>;
}

export interface BootstrapRun {
  readonly dir: string;
  readonly optDir: string;
  readonly unitDir: string;
  readonly logDir: string;
  /** The log's address ($WORKER_LOG_PATH, /home/ubuntu/sqs_worker.logs on an instance). */
  readonly logAddress: string;
  /** The log file itself ($LOG_DIR/sqs_worker.logs). */
  readonly logFile: string;
  readonly recordDir: string;
  record(name: string): string | undefined;
  sequence(): string[];
  /** The environment of the bash running the boot (stand-ins read their settings themselves). */
  readonly bootEnv: NodeJS.ProcessEnv;
  readonly script: string;
}

export class BootstrapHarness {
  readonly root = mkdtempSync(path.join(tmpdir(), 'bootstrap-run-'));
  private readonly runs: BootstrapRun[] = [];

  /** Waits for every unit a run started to end (stopping it), then removes every run's directory. */
  async dispose(): Promise<void> {
    for (const run of this.runs) {
      if (run.record(`systemd/${WORKER_SERVICE}.supervisor`) !== undefined) await this.systemctl(run, 'stop', WORKER_SERVICE);
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  /** A fake Node.js archive, npm-laid-out, whose node runs this machine's node. Returns its path. */
  fakeNodeArchive(): string {
    const staging = path.join(this.root, 'fake-node', 'package', 'bin');
    mkdirSync(staging, { recursive: true });
    writeFileSync(path.join(staging, 'node'), `#!/bin/bash\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 });
    const archive = path.join(this.root, 'fake-node.tgz');
    const tar = spawnSync('tar', ['-czf', archive, '-C', path.join(this.root, 'fake-node'), 'package']);
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    return archive;
  }

  /** Prepares a run directory with the stand-ins and the rendered, relocated script. */
  prepare(name: string, options: BootstrapRunOptions): BootstrapRun {
    const dir = path.join(this.root, `${this.runs.length + 1}-${name}`);
    const bin = path.join(dir, 'bin');
    const recordDir = path.join(dir, 'record');
    const optDir = path.join(dir, 'opt');
    const unitDir = path.join(dir, 'systemd-units');
    const logDir = path.join(dir, 'var-log-rag-worker');
    const home = path.join(dir, 'home-ubuntu');
    for (const d of [bin, recordDir, optDir, unitDir, home]) mkdirSync(d, { recursive: true });
    const logAddress = path.join(home, 'sqs_worker.logs');

    const settings = path.join(dir, 'harness.env');
    const quoted = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
    const settingLines = {
      RECORD: recordDir,
      SYSTEMD_UNIT_DIR: unitDir,
      FAKE_NODE_ARCHIVE: options.nodeArchive,
      WORKER_BUNDLE: options.workerBundle,
      SETUP_SCRIPT: options.setupScript ?? '/nonexistent',
      FAIL_IMDS: '',
      FAIL_NODE_DOWNLOAD: '',
      FAIL_WORKER_DOWNLOAD: '',
      FAIL_SETUP_DOWNLOAD: '',
      FAIL_UPLOAD: '',
      CURL_VERSION: options.curlVersion ?? UBUNTU_CURL_VERSIONS['24.04'],
      CREDENTIALS_NOT_YET: String(options.credentialsNotYet ?? 0),
      ...options.failures,
    };
    writeFileSync(settings, Object.entries(settingLines).map(([key, value]) => `${key}=${quoted(value)}`).join('\n') + '\n');
    const standIns: Record<string, string> = {
      curl: CURL,
      shutdown: SHUTDOWN,
      useradd: RECORDING('useradd'),
      chown: RECORDING('chown'),
      systemctl: `exec '${process.execPath}' '${path.join(STANDIN_DIR, 'systemd-standin.js')}' "$@"\n`,
    };
    for (const [command, body] of Object.entries(standIns)) {
      writeFileSync(path.join(bin, command), PREAMBLE(settings) + body);
      chmodSync(path.join(bin, command), 0o755);
    }
    if (options.serviceEnv) writeFileSync(path.join(recordDir, 'service-env.json'), JSON.stringify(options.serviceEnv));

    let script = renderUserData({ ...options.params, logPath: logAddress })
      .replaceAll('=/opt/', `=${optDir}/`)
      .replace('UNIT_DIR=/etc/systemd/system', `UNIT_DIR=${unitDir}`)
      .replace('LOG_DIR=/var/log/rag-worker', `LOG_DIR=${logDir}`);
    if (options.credentialsWaitSeconds !== undefined) {
      for (const seconds of [NetworkBounds.credentialsWaitSeconds, NetworkBounds.failureCredentialsWaitSeconds]) {
        script = script.replace(`CREDENTIALS_WAIT_SECONDS=${seconds}`, `CREDENTIALS_WAIT_SECONDS=${options.credentialsWaitSeconds}`);
      }
    }
    if (!options.pinnedArchive) {
      const sha512 = createHash('sha512').update(readFileSync(options.nodeArchive)).digest('hex');
      script = script.replace(`NODE_RUNTIME_SHA512='${nodeRuntimeSha512Hex()}'`, `NODE_RUNTIME_SHA512='${sha512}'`);
    }
    const file = path.join(dir, 'user-data.sh');
    writeFileSync(file, script);

    const read = (name: string) => {
      const recorded = path.join(recordDir, name);
      return existsSync(recorded) ? readFileSync(recorded, 'utf8') : undefined;
    };
    const run: BootstrapRun = {
      dir,
      optDir,
      unitDir,
      logDir,
      logAddress,
      logFile: path.join(logDir, 'sqs_worker.logs'),
      recordDir,
      record: read,
      sequence: () => (read('sequence') ?? '').split('\n').filter((line) => line !== ''),
      // stdin not a socket: Debian's bash would otherwise take itself for an ssh session and read ~/.bashrc.
      bootEnv: { PATH: `${bin}:${process.env.PATH}` },
      script: file,
    };
    this.runs.push(run);
    return run;
  }

  /** Runs the boot as cloud-init would, and waits for the script (not the service it starts) to end. */
  boot(run: BootstrapRun): { status: number | null; stderr: string } {
    const result = spawnSync('bash', [run.script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: run.bootEnv });
    return { status: result.status, stderr: result.stderr };
  }

  /** The same, without blocking the test's event loop (for suites that also talk to the emulator). */
  bootAsync(run: BootstrapRun): Promise<{ status: number | null; stderr: string }> {
    const child = spawn('bash', [run.script], { stdio: ['ignore', 'ignore', 'pipe'], env: run.bootEnv });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stderr })));
  }

  /** `systemctl <args>` through the stand-in, as an operator (or the instance's shutdown) would. */
  systemctl(run: BootstrapRun, ...args: string[]): Promise<number | null> {
    const child = spawn(path.join(run.dir, 'bin', 'systemctl'), args, { stdio: 'ignore', env: run.bootEnv });
    return new Promise((resolve) => child.once('exit', (status) => resolve(status)));
  }

  /** Waits until the worker's unit is inactive (its ExecStopPost done) and returns what systemd recorded. */
  async serviceResult(run: BootstrapRun): Promise<ServiceResult> {
    await this.systemctl(run, 'wait', WORKER_SERVICE);
    return JSON.parse(run.record(`systemd/${WORKER_SERVICE}.result.json`) ?? 'null') as ServiceResult;
  }

  /** Makes `systemctl is-system-running` say `stopping`, as during the instance's shutdown. */
  beginShutdown(run: BootstrapRun): void {
    writeFileSync(path.join(run.recordDir, 'system-state'), 'stopping\n');
  }
}

export interface ServiceResult {
  readonly EXIT_CODE: 'exited' | 'killed';
  readonly EXIT_STATUS: string;
  readonly SERVICE_RESULT: string;
  readonly stopPostStatus: number | string | null;
  readonly action: string;
}

/** The `event` of each bootstrap line in a log (the worker's own lines and output are left out). */
export function bootstrapEvents(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { source?: string; event: string })
    .filter((entry) => entry.source === 'bootstrap')
    .map((entry) => entry.event);
}
