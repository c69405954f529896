import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { median } from './stats';

const run = promisify(execFile);

export interface BundleFigures {
  readonly coldImportRuns: number;
  /** Time for `require(dist/orchestrator/index.js)` in a fresh node process, median. */
  readonly coldImportMsMedian: number;
  /** Whole `node -e require(...)` process wall time, median (node's own start-up included). */
  readonly coldProcessMsMedian: number;
  readonly orchestratorBundleBytes: number;
  /** The archive TerraformAsset made of dist/orchestrator during the synth: what Lambda receives. */
  readonly lambdaZipBytes: number;
  readonly lambdaZipPath: string;
  readonly workerBundleBytes: number;
  readonly workerSourceMapBytes: number;
}

const IMPORT_PROBE =
  'const t = process.hrtime.bigint(); const m = require(process.argv[1]);' +
  "if (typeof m.handler !== 'function') throw new Error('no handler export');" +
  'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';

export async function measureBundles(repoRoot: string, synthOutdir: string, runs: number): Promise<BundleFigures> {
  const orchestratorBundle = path.join(repoRoot, 'dist', 'orchestrator', 'index.js');
  const workerBundle = path.join(repoRoot, 'dist', 'worker', 'worker.js');
  for (const file of [orchestratorBundle, workerBundle]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first`);
  }
  const importMs: number[] = [];
  const processMs: number[] = [];
  for (let index = 0; index < runs; index++) {
    const started = process.hrtime.bigint();
    const { stdout } = await run(process.execPath, ['-e', IMPORT_PROBE, orchestratorBundle], { cwd: repoRoot });
    processMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    importMs.push(Number(stdout));
  }
  const lambdaZipPath = findLambdaZip(synthOutdir);
  return {
    coldImportRuns: runs,
    coldImportMsMedian: median(importMs),
    coldProcessMsMedian: median(processMs),
    orchestratorBundleBytes: statSync(orchestratorBundle).size,
    lambdaZipBytes: statSync(lambdaZipPath).size,
    lambdaZipPath: path.relative(synthOutdir, lambdaZipPath),
    workerBundleBytes: statSync(workerBundle).size,
    workerSourceMapBytes: existsSync(`${workerBundle}.map`) ? statSync(`${workerBundle}.map`).size : 0,
  };
}

/** The synthesized stack's Lambda code archive: `stacks/<stack>/assets/lambda_*` / `<hash>` / `archive.zip`. */
function findLambdaZip(synthOutdir: string): string {
  const zips = readdirSync(synthOutdir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.zip'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => /[\\/]assets[\\/]lambda[^\\/]*[\\/]/.test(file));
  if (zips.length !== 1) throw new Error(`expected one Lambda archive in ${synthOutdir}, found ${zips.length}`);
  return zips[0];
}
