import { spawn } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { CommandEnd } from './exit';
import type { Invocation } from './invocation';
import { TailBuffer } from './tail';

export interface RunLimits {
  readonly timeoutSeconds: number;
  readonly killGraceSeconds: number;
  /** Bytes kept of stdout and of stderr each: their last. */
  readonly tailBytes: number;
}

export interface CommandRun {
  readonly end: CommandEnd;
  /** The process ID (and process group ID) of the program; undefined when it never started. */
  readonly pid: number | undefined;
  readonly durationMs: number;
  readonly stdout: TailBuffer;
  readonly stderr: TailBuffer;
}

/** After the program exits, its output pipes are waited for at most this long (a process that left its group may hold them). */
const PIPE_DRAIN_MS = 1_000;

/**
 * Runs one invocation as the worker's own user, in a process group of its own (`detached`: the child calls
 * setsid), never through a shell. At the timeout, or when `abortSignal` aborts, the whole group gets SIGTERM,
 * then SIGKILL after the grace period; when the program exits, whatever it left running in its group is killed.
 * stdout goes to `stdoutPath` when given (a file, never through this process), otherwise only the last
 * `tailBytes` of it are kept, like stderr's: a command writing gigabytes costs kilobytes. Never rejects on the
 * command's behalf: every end is described in the result.
 */
export async function runCommand(invocation: Invocation, limits: RunLimits, abortSignal?: AbortSignal): Promise<CommandRun> {
  const stdout = new TailBuffer(limits.tailBytes);
  const stderr = new TailBuffer(limits.tailBytes);
  const started = performance.now();
  const finish = (end: CommandEnd, pid?: number): CommandRun => ({ end, pid, durationMs: performance.now() - started, stdout, stderr });
  if (abortSignal?.aborted) return finish({ kind: 'aborted' });

  let stdoutFile: FileHandle | undefined;
  if (invocation.stdoutPath !== undefined) stdoutFile = await open(invocation.stdoutPath, 'wx', 0o640);
  const child = (() => {
    try {
      return spawn(invocation.program, [...invocation.args], {
        cwd: invocation.cwd,
        env: { ...invocation.env },
        shell: false,
        detached: true,
        stdio: ['ignore', stdoutFile?.fd ?? 'pipe', 'pipe'],
      });
    } finally {
      // The child holds its own copy of the descriptor.
      void stdoutFile?.close();
    }
  })();
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

  return new Promise<CommandRun>((resolve) => {
    let stopping: 'timed-out' | 'aborted' | undefined;
    let exited = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    const stop = (why: 'timed-out' | 'aborted'): void => {
      if (exited || stopping !== undefined) return;
      stopping = why;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), limits.killGraceSeconds * 1000);
    };
    const timeout = setTimeout(() => stop('timed-out'), limits.timeoutSeconds * 1000);
    const onAbort = (): void => stop('aborted');
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    const settle = (end: CommandEnd): void => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      abortSignal?.removeEventListener('abort', onAbort);
      resolve(finish(end, child.pid));
    };

    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed start comes here without an exit (a failed kill is ignored in signalGroup).
      if (child.pid !== undefined || exited) return;
      exited = true;
      settle({ kind: 'spawn-failed', code: error.code, message: error.message });
    });
    child.once('exit', (code, signal) => {
      exited = true;
      // The program is gone; nothing it started may outlive it in its group.
      signalGroup('SIGKILL');
      const end: CommandEnd =
        stopping === 'timed-out'
          ? { kind: 'timed-out', timeoutSeconds: limits.timeoutSeconds }
          : stopping === 'aborted'
            ? { kind: 'aborted' }
            : { kind: 'exited', code, signal };
      void drained(child.stdout, child.stderr).then(() => settle(end));
    });
  });
}

/** Resolves when both pipes have ended, or after PIPE_DRAIN_MS (then they are destroyed). */
function drained(...streams: (Readable | null)[]): Promise<void> {
  const open = streams.filter((stream): stream is Readable => stream !== null && !stream.closed);
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = open.length;
    const timer = setTimeout(() => {
      for (const stream of open) stream.destroy();
      resolve();
    }, PIPE_DRAIN_MS);
    for (const stream of open) {
      stream.once('close', () => {
        left -= 1;
        if (left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}
