import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { STACK_NAME } from '../main';
import { measureNode, type ChildMeasure } from './child';
import { median } from './stats';

export interface SynthFigures {
  readonly runs: number;
  /** The node arguments each run was started with. */
  readonly nodeArgs: readonly string[];
  readonly wallMsMedian: number;
  readonly peakRssBytesMedian: number;
  readonly peakRssBytesMax: number;
  readonly samples: readonly ChildMeasure[];
}

/**
 * cdktf.json's `app` as node arguments: the command `cdktf synth` runs (through a shell, in the project
 * directory). It must be `node` with plain arguments, so the bench can run it the same way with its probe.
 */
export function cdktfAppNodeArgs(repoRoot: string): string[] {
  const { app } = JSON.parse(readFileSync(path.join(repoRoot, 'cdktf.json'), 'utf8')) as { app: string };
  const [program, ...args] = app.trim().split(/\s+/);
  if (program !== 'node' || args.some((arg) => /["'$|&;<>`\\]/.test(arg))) {
    throw new Error(`cdktf.json's app must be "node" with plain arguments to be measured, got "${app}"`);
  }
  return args;
}

/** The app run through tsx (the command before the compiled app), for comparison. */
export const TSX_APP_NODE_ARGS = ['--import', 'tsx', '--disable-warning=DEP0044', '-e', "require('./main.ts').synthesizeApp()"];

/**
 * Synthesizes the stack in `appDir` with `node <nodeArgs>` (see cdktfAppNodeArgs), writing to a temporary
 * CDKTF_OUTDIR each time. One unmeasured warm-up run first (it fills the file cache, or tsx's transform
 * cache), as any second synth on a machine finds it. `keepOutdir` receives the first measured run's output
 * directory (the caller deletes it).
 */
export async function measureSynth(
  appDir: string,
  nodeArgs: readonly string[],
  runs: number,
  options: { keepOutdir?: (outdir: string) => void } = {},
): Promise<SynthFigures> {
  const samples: ChildMeasure[] = [];
  for (let run = -1; run < runs; run++) {
    const outdir = mkdtempSync(path.join(tmpdir(), 'bench-synth-'));
    const sample = await measureNode(nodeArgs, { cwd: appDir, env: { CDKTF_OUTDIR: outdir } });
    readFileSync(path.join(outdir, 'stacks', STACK_NAME, 'cdk.tf.json'));
    if (run >= 0) samples.push(sample);
    if (run === 0 && options.keepOutdir) options.keepOutdir(outdir);
    else rmSync(outdir, { recursive: true, force: true });
  }
  return {
    runs,
    nodeArgs,
    wallMsMedian: median(samples.map((sample) => sample.wallMs)),
    peakRssBytesMedian: median(samples.map((sample) => sample.peakRssBytes)),
    peakRssBytesMax: Math.max(...samples.map((sample) => sample.peakRssBytes)),
    samples,
  };
}

/** The sources the stack is built from, and what the synth app needs to compile them: copied for the reference. */
const STACK_SOURCES = ['main.ts', 'modules', 'config', 'contracts', 'runtime', 'scripts/synth-app.js', 'tsconfig.json'];
const DEEP_IMPORT = /^import \{ (\w+) \} from '@cdktf\/provider-aws\/lib\/([\w-]+)';$/gm;

/**
 * A throw-away copy of the stack sources with every deep provider import rewritten to go through the package
 * index (`require('@cdktf/provider-aws').sqsQueue.SqsQueue`), placed inside the repository so node_modules
 * resolves and `dist/` and `.tools/` are linked so the assets are found. Returns its directory and how many imports it rewrote.
 */
export function createIndexImportCopy(repoRoot: string, parentDir: string): { dir: string; rewritten: number } {
  mkdirSync(parentDir, { recursive: true });
  // A dot-folder: TypeScript's `**/*.ts` include skips it, so a type-check during a run does not see the copy.
  const dir = mkdtempSync(path.join(parentDir, '.index-import-reference-'));
  for (const source of STACK_SOURCES) cpSync(path.join(repoRoot, source), path.join(dir, source), { recursive: true });
  // The assets: the bundles and the workers' Node.js runtime archive.
  for (const built of ['dist', '.tools']) symlinkSync(path.join(repoRoot, built), path.join(dir, built), 'dir');
  let rewritten = 0;
  for (const file of listTypeScript(dir)) {
    const text = readFileSync(file, 'utf8');
    const result = text.replace(DEEP_IMPORT, (_line, name: string, module: string) => {
      rewritten += 1;
      return `const { ${name} } = require('@cdktf/provider-aws').${camelCase(module)};`;
    });
    if (result !== text) writeFileSync(file, result);
  }
  if (rewritten === 0) throw new Error(`no deep @cdktf/provider-aws import found to rewrite in ${STACK_SOURCES.join(', ')}`);
  return { dir, rewritten };
}

/** `s3-bucket-policy` → `s3BucketPolicy`: the namespace name the provider's index exports. */
function camelCase(module: string): string {
  return module.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase());
}

function listTypeScript(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
