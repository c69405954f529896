import { spawn } from 'node:child_process';

export interface TestSuiteFigures {
  readonly command: string;
  readonly wallSeconds: number;
  readonly exitCode: number | null;
  /** jest's own summary lines ("Tests: …", "Test Suites: …") and the failing suites ("FAIL …"), if any. */
  readonly summary: readonly string[];
}

const COMMAND = ['jest'];

/** Runs the whole jest suite (all projects) once and times it; its output is kept for the summary only. */
export async function measureTestSuite(repoRoot: string): Promise<TestSuiteFigures> {
  const started = performance.now();
  const child = spawn('npx', COMMAND, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  const summary: string[] = [];
  const collector = (): ((chunk: Buffer) => void) => {
    let partial = '';
    return (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      summary.push(...lines.map((line) => line.trim()).filter((line) => /^(Tests|Test Suites|Snapshots):|^FAIL /.test(line)));
    };
  };
  child.stdout.on('data', collector());
  child.stderr.on('data', collector());
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    command: `npx ${COMMAND.join(' ')}`,
    wallSeconds: (performance.now() - started) / 1000,
    exitCode,
    summary: [...new Set(summary)],
  };
}
