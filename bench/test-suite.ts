import { spawn } from 'node:child_process';

export interface TestSuiteFigures {
  readonly command: string;
  readonly wallSeconds: number;
  readonly exitCode: number | null;
  /** jest's own summary lines ("Tests: …", "Test Suites: …"). */
  readonly summary: readonly string[];
}

const COMMAND = ['jest'];

/** Runs the whole jest suite (all projects) once and times it; its output is kept for the summary only. */
export async function measureTestSuite(repoRoot: string): Promise<TestSuiteFigures> {
  const started = performance.now();
  const child = spawn('npx', COMMAND, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    command: `npx ${COMMAND.join(' ')}`,
    wallSeconds: (performance.now() - started) / 1000,
    exitCode,
    summary: output.split('\n').filter((line) => /^(Tests|Test Suites|Snapshots):/.test(line.trim())).map((line) => line.trim()),
  };
}
