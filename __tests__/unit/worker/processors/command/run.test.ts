import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { commandProcessesUnder } from '../../../../../local/standins/leftover-processes';
import type { Invocation } from '../../../../../worker/processors/command/invocation';
import { runCommand } from '../../../../../worker/processors/command/run';

/**
 * The runner with real programs (bash, sleep, head): what reaches the program, how each end is reported, and
 * that nothing a command starts outlives its run. Each command carries RAG_INPUT_FILE under the test's
 * directory, as the worker gives it, so commandProcessesUnder finds whatever is left.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'run-test-'));
});
afterEach(() => {
  expect(commandProcessesUnder(dir)).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

const invocation = (program: string, args: string[], extra: Partial<Invocation> = {}): Invocation => ({
  program,
  args,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RAG_INPUT_FILE: path.join(dir, 'input') },
  cwd: dir,
  ...extra,
});
const limits = { timeoutSeconds: 30, killGraceSeconds: 1, tailBytes: 1024 };

describe('runCommand', () => {
  it('passes each argument unchanged, newlines and shell syntax included, and keeps stdout and stderr tails', async () => {
    const args = ['a b', '$(touch pwned)', '`x`', "it's", 'two\nlines', '-rf', ''];
    const run = await runCommand(invocation('bash', ['-c', 'printf "%s\\0" "$@"; echo oops >&2', 'argv', ...args]), limits);

    expect(run.end).toEqual({ kind: 'exited', code: 0, signal: null });
    expect(run.stdout.text().split('\0').slice(0, -1)).toEqual(args);
    expect(run.stderr.text()).toBe('oops\n');
  });

  it('runs the program in a process group of its own', async () => {
    const run = await runCommand(invocation('bash', ['-c', 'ps -o pgid= -p $$']), limits);

    expect(Number(run.stdout.text().trim())).toBe(run.pid);
  });

  it('keeps only the tail of a flood on stdout', async () => {
    const run = await runCommand(invocation('head', ['-c', String(64 * 1024 * 1024), '/dev/zero']), limits);

    expect(run.stdout.totalBytes).toBe(64 * 1024 * 1024);
    expect(run.stdout.bytes()).toHaveLength(1024);
  });

  it('writes stdout to a file when asked, never through the worker', async () => {
    const stdoutPath = path.join(dir, 'out.txt');
    const run = await runCommand(invocation('bash', ['-c', 'echo result']), limits, undefined);
    const toFile = await runCommand({ ...invocation('bash', ['-c', 'echo result']), stdoutPath }, limits);

    expect(run.stdout.text()).toBe('result\n');
    expect(readFileSync(stdoutPath, 'utf8')).toBe('result\n');
    expect(toFile.stdout.totalBytes).toBe(0);
  });

  it('at the timeout sends TERM to the group, then KILL to what ignores it, and says it timed out', async () => {
    const run = await runCommand(invocation('bash', ['-c', 'trap "" TERM; sleep 60 & sleep 60']), { ...limits, timeoutSeconds: 1 });

    expect(run.end).toEqual({ kind: 'timed-out', timeoutSeconds: 1 });
  });

  it('lets a program that handles TERM finish its own way within the grace period', async () => {
    const marker = path.join(dir, 'cleaned');
    const run = await runCommand(invocation('bash', ['-c', `trap 'echo done > "${marker}"; exit 0' TERM; sleep 60 & wait`]), { ...limits, timeoutSeconds: 1, killGraceSeconds: 10 });

    expect(run.end.kind).toBe('timed-out');
    expect(readFileSync(marker, 'utf8')).toBe('done\n');
  });

  it('stops the group when the job is aborted', async () => {
    const controller = new AbortController();
    const running = runCommand(invocation('sleep', ['60']), limits, controller.signal);
    setImmediate(() => controller.abort());

    expect((await running).end).toEqual({ kind: 'aborted' });
  });

  it('kills what the program left running when it exits', async () => {
    const run = await runCommand(invocation('bash', ['-c', 'sleep 60 & echo started']), limits);

    expect(run.end).toEqual({ kind: 'exited', code: 0, signal: null });
  });

  it.each([
    { case: 'a program not on PATH', program: 'rag-no-such-program', code: 'ENOENT' },
    { case: 'a file without the execute bit', program: 'NOT_EXECUTABLE', code: 'EACCES' },
  ])('reports $case as a failed start', async ({ program, code }) => {
    const file = path.join(dir, 'tool.sh');
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    const run = await runCommand(invocation(program === 'NOT_EXECUTABLE' ? file : program, []), limits);

    expect(run.end).toMatchObject({ kind: 'spawn-failed', code });
    expect(run.pid).toBeUndefined();
  });

  it('does not start a command for a job already aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    expect((await runCommand(invocation('true', []), limits, controller.signal)).end).toEqual({ kind: 'aborted' });
  });
});
