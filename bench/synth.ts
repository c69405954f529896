import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { STACK_NAME } from '../main';
import { measureNode, type ChildMeasure } from './child';
import { median } from './stats';

export interface SynthFigures {
  readonly runs: number;
  readonly wallMsMedian: number;
  readonly peakRssBytesMedian: number;
  readonly peakRssBytesMax: number;
  readonly samples: readonly ChildMeasure[];
}

/**
 * Synthesizes the stack the way `cdktf synth` runs the app (`node --import tsx main.ts`, cdktf.json), writing
 * to a temporary CDKTF_OUTDIR each time.
 * One unmeasured warm-up run fills tsx's transform cache, as any second synth on a machine finds it.
 * `keepOutdir` receives the first measured run's output directory (the caller deletes it).
 */
export async function measureSynth(
  appDir: string,
  runs: number,
  keepOutdir?: (outdir: string) => void,
): Promise<SynthFigures> {
  const samples: ChildMeasure[] = [];
  for (let run = -1; run < runs; run++) {
    const outdir = mkdtempSync(path.join(tmpdir(), 'bench-synth-'));
    const sample = await measureNode(['--import', 'tsx', 'main.ts'], { cwd: appDir, env: { CDKTF_OUTDIR: outdir } });
    readFileSync(path.join(outdir, 'stacks', STACK_NAME, 'cdk.tf.json'));
    if (run >= 0) samples.push(sample);
    if (run === 0 && keepOutdir) keepOutdir(outdir);
    else rmSync(outdir, { recursive: true, force: true });
  }
  return {
    runs,
    wallMsMedian: median(samples.map((sample) => sample.wallMs)),
    peakRssBytesMedian: median(samples.map((sample) => sample.peakRssBytes)),
    peakRssBytesMax: Math.max(...samples.map((sample) => sample.peakRssBytes)),
    samples,
  };
}

/** The sources the stack is built from: the same set is copied for the index-import reference. */
const STACK_SOURCES = ['main.ts', 'modules', 'config', 'contracts'];
const DEEP_IMPORT = /^import \{ (\w+) \} from '@cdktf\/provider-aws\/lib\/([\w-]+)';$/gm;

/**
 * A throw-away copy of the stack sources with every deep provider import rewritten to go through the package
 * index (`require('@cdktf/provider-aws').sqsQueue.SqsQueue`), placed inside the repository so node_modules
 * resolves and `dist/` is linked so the assets are found. Returns its directory and how many imports it rewrote.
 */
export function createIndexImportCopy(repoRoot: string, parentDir: string): { dir: string; rewritten: number } {
  mkdirSync(parentDir, { recursive: true });
  // A dot-folder: TypeScript's `**/*.ts` include skips it, so a type-check during a run does not see the copy.
  const dir = mkdtempSync(path.join(parentDir, '.index-import-reference-'));
  for (const source of STACK_SOURCES) cpSync(path.join(repoRoot, source), path.join(dir, source), { recursive: true });
  symlinkSync(path.join(repoRoot, 'dist'), path.join(dir, 'dist'), 'dir');
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
