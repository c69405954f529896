import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from './free-port';
import { writeEmulatorImages } from './images';
import { PYTHON_TOOLS_DIR, REPO_ROOT, VENV_BIN } from './paths';

/** A running moto server on 127.0.0.1. */
export interface Emulator {
  /** `http://127.0.0.1:<port>`: pass as AWS_ENDPOINT_URL or provider endpoints. */
  readonly endpoint: string;
  readonly port: number;
  /** Drops every resource in every service (POST /moto-api/reset) and re-applies the emulator settings. */
  reset(): Promise<void>;
  /** Stops the server; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** @default a free port picked by the kernel; another is tried if moto cannot bind it */
  readonly port?: number;
  /** @default false — moto's request log goes nowhere unless asked for */
  readonly verbose?: boolean;
  /**
   * @default false — true: moto ends when this Node process ends, however it ends (a watchdog shell reads a
   * pipe from this process and stops moto when the pipe closes), and the running emulator does not keep this
   * process alive. For an emulator shared by several test files that no single file stops.
   */
  readonly endWithProcess?: boolean;
  /**
   * @default Python's own (5 ms) — seconds between the server's thread switches (`sys.setswitchinterval`). A tiny
   * one (1e-5) interleaves concurrent requests as often as a loaded machine does: for tests of atomicity.
   */
  readonly switchIntervalSeconds?: number;
  /**
   * @default false — true: moto loads AWS's managed IAM policies, so attaching one (the worker role's
   * AmazonSSMManagedInstanceCore) succeeds, as a Terraform apply of the stack needs. They cost about 0.9 s on
   * every reset and 0.7 s on the first SQS request after it (moto reads its whole policy list each time): an
   * emulator that never deploys the stack leaves them out.
   */
  readonly managedPolicies?: boolean;
}

/** Fake credentials for the emulator; moto accepts any. Never real ones. */
export const EMULATOR_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
} as const;
export const EMULATOR_REGION = 'us-east-1';
/** {@link EMULATOR_CREDENTIALS} in the shape an SDK client's `credentials` takes. */
export const EMULATOR_SDK_CREDENTIALS = {
  accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
  sessionToken: EMULATOR_CREDENTIALS.AWS_SESSION_TOKEN,
} as const;

const READY_TIMEOUT_MS = 30_000;
const BIND_ATTEMPTS = 3;
/**
 * moto's server with DynamoDB and SQS made atomic, as AWS makes them (moto-server.py says how). It exits with
 * EXIT_MOTO_CHANGED, naming what changed, when the installed moto is not the one it was written against.
 */
export const MOTO_LAUNCHER = path.join(__dirname, 'moto-server.py');
const EXIT_MOTO_CHANGED = 3;

/** The launcher refused the installed moto: another port would not help. */
class MotoChangedError extends Error {
  override readonly name = 'MotoChangedError';
}

/**
 * Starts moto in server mode from the project's virtualenv, through MOTO_LAUNCHER. Lambda runs without Docker
 * (moto never executes function code anyway), AWS-managed IAM policies are loaded when asked for
 * (`managedPolicies`), and EC2 serves the images of ./images.ts.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const python = path.join(VENV_BIN, 'python');
  if (!existsSync(path.join(VENV_BIN, 'moto_server'))) {
    throw new Error(`moto is not installed in ${path.relative(REPO_ROOT, PYTHON_TOOLS_DIR)}: run "bash scripts/setup-tools.sh" (or npm test, which runs it).`);
  }
  const launcherArgs = options.switchIntervalSeconds === undefined ? [] : ['--switch-interval', String(options.switchIntervalSeconds)];
  let lastError: unknown;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch([python, MOTO_LAUNCHER, ...launcherArgs], port, {
        verbose: options.verbose ?? false,
        endWithProcess: options.endWithProcess ?? false,
        managedPolicies: options.managedPolicies ?? false,
      });
    } catch (error) {
      lastError = error;
      if (options.port !== undefined || error instanceof MotoChangedError) break;
    }
  }
  throw lastError;
}

/**
 * Runs moto and, beside it, a reader of this process's pipe on fd 3: end of file (this process exited, even
 * by SIGKILL, or `stop` closed the pipe) stops moto. The shell exits with moto.
 */
const WATCHDOG =
  'exec 3<&0; "$0" "$@" & moto=$!; (read -r _ <&3; kill "$moto" 2>/dev/null; sleep 10; kill -KILL "$moto" 2>/dev/null) & wait "$moto"';

interface LaunchOptions {
  readonly verbose: boolean;
  readonly endWithProcess: boolean;
  readonly managedPolicies: boolean;
}

async function launch(command: readonly string[], port: number, { verbose, endWithProcess, managedPolicies }: LaunchOptions): Promise<Emulator> {
  const endpoint = `http://127.0.0.1:${port}`;
  const [executable, ...args] = [...command, '-H', '127.0.0.1', '-p', String(port)];
  const child = spawn(endWithProcess ? '/bin/sh' : executable, endWithProcess ? ['-c', WATCHDOG, executable, ...args] : args, {
    // The images it serves are ours (images.ts): moto's own stop at Ubuntu 16.04.
    env: {
      ...process.env,
      MOTO_IAM_LOAD_MANAGED_POLICIES: String(managedPolicies),
      MOTO_AMIS_PATH: writeEmulatorImages(),
    },
    stdio: [endWithProcess ? 'pipe' : 'ignore', verbose ? 'inherit' : 'ignore', verbose ? 'inherit' : 'pipe'],
  });
  if (endWithProcess) {
    child.unref();
    for (const stream of [child.stdin, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await waitUntilReady(endpoint, child);
    await configure(endpoint);
  } catch (error) {
    if (endWithProcess) child.stdin?.end();
    else child.kill('SIGKILL');
    await exited;
    if (child.exitCode === EXIT_MOTO_CHANGED) throw new MotoChangedError(stderr.trim());
    throw new Error(`moto did not start on port ${port}: ${(error as Error).message}\n${stderr}`);
  }

  return {
    endpoint,
    port,
    async reset() {
      await post(endpoint, '/moto-api/reset');
      await configure(endpoint);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        if (endWithProcess) child.stdin?.end();
        else child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

async function configure(endpoint: string): Promise<void> {
  await post(endpoint, '/moto-api/config', { lambda: { use_docker: false } });
}

async function waitUntilReady(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer within ${READY_TIMEOUT_MS / 1000} s`);
}

async function post(endpoint: string, route: string, body?: unknown): Promise<void> {
  const response = await fetch(`${endpoint}${route}`, {
    method: 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${route} answered ${response.status}: ${await response.text()}`);
}
