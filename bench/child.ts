import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const RSS_PROBE = path.join(__dirname, 'rss-probe.js');

export interface ChildMeasure {
  readonly wallMs: number;
  /** Peak resident set size of the whole child process, in bytes. */
  readonly peakRssBytes: number;
}

/**
 * Runs `node <nodeArgs>` to completion and measures its wall time and peak RSS (reported by the child itself
 * at exit through the preloaded probe). Throws with the child's stderr when it exits non-zero.
 */
export async function measureNode(
  nodeArgs: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<ChildMeasure> {
  const probeDir = mkdtempSync(path.join(tmpdir(), 'bench-rss-'));
  const rssFile = path.join(probeDir, 'maxrss');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', RSS_PROBE, ...nodeArgs], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (code !== 0) throw new Error(`node ${nodeArgs.join(' ')} exited with ${code}:\n${stderr}`);
    return { wallMs, peakRssBytes: Number(readFileSync(rssFile, 'utf8')) * 1024 };
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}
