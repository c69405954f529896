import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { STACK_NAME } from '../../../main';

// The synth app (scripts/synth-app.js, cdktf.json's `app`) runs a compiled copy of main.ts and what it imports,
// and must compile again whenever that copy could differ from the sources: a synth never runs stale code.
const REPO_ROOT = path.resolve(__dirname, '../../..');
const LAUNCHER = path.join(REPO_ROOT, 'scripts', 'synth-app.js');
const APP_COMMAND = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;
const CDKTF = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdktf');
const RUN_TIMEOUT_MS = 60_000;

const temporaryDirs: string[] = [];
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

function edit(root: string, file: string, from: string, to: string): void {
  const text = readFileSync(path.join(root, file), 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
  writeFileSync(path.join(root, file), text.replace(from, to));
}

/** The launcher's one line on stderr when it compiled, with the reason; none when it reused the compiled app. */
function compiledLine(result: SpawnSyncReturns<string>): string | undefined {
  return result.stderr.split('\n').find((line) => line.startsWith('synth-app: compiled'));
}

describe('on a small project', () => {
  // A project of a few files that prints what it imported: each run takes a fraction of a second.
  let root: string;
  const run = () =>
    spawnSync(process.execPath, [LAUNCHER, 'main.ts'], { cwd: root, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  const printed = (result: SpawnSyncReturns<string>) => {
    if (result.status !== 0) throw new Error(`the app failed (${result.status}):\n${result.stderr}`);
    return result.stdout.trim();
  };

  beforeEach(() => {
    root = temporaryDir('synth-app-fixture-');
    write(root, 'package.json', '{ "name": "fixture", "private": true }\n');
    write(root, 'tsconfig.json', '{ "compilerOptions": { "target": "ES2022", "module": "commonjs", "strict": true } }\n');
    write(root, 'lib/index.ts', "export { value } from './value';\n");
    write(root, 'lib/value.ts', "export const value = 'one';\n");
    write(root, 'main.ts', "import { value } from './lib';\nexport function synthesizeApp(): void {\n  console.log(`value=${value}`);\n}\n");
  });

  it('compiles once, then reuses the compiled app while nothing changes', () => {
    const first = run();
    const second = run();

    expect(printed(first)).toBe('value=one');
    expect(compiledLine(first)).toContain('(nothing compiled yet)');
    expect(printed(second)).toBe('value=one');
    expect(compiledLine(second)).toBeUndefined();
  });

  it('sees an edit to an imported file, even one that keeps its size and time stamp', () => {
    run();
    const file = path.join(root, 'lib', 'value.ts');
    const { atime, mtime } = statSync(file);
    edit(root, 'lib/value.ts', "'one'", "'owe'");
    utimesSync(file, atime, mtime);

    const result = run();

    expect(printed(result)).toBe('value=owe');
    expect(compiledLine(result)).toContain('(lib/value.ts changed)');
  });

  it('sees an import added to a new file, then removed again', () => {
    run();
    write(root, 'lib/extra.ts', "export const extra = 'added';\n");
    edit(root, 'main.ts', "import { value } from './lib';\n", "import { value } from './lib';\nimport { extra } from './lib/extra';\n");
    edit(root, 'main.ts', '`value=${value}`', '`value=${value} ${extra}`');
    const added = run();
    edit(root, 'main.ts', "import { extra } from './lib/extra';\n", '');
    edit(root, 'main.ts', '`value=${value} ${extra}`', '`value=${value}`');
    rmSync(path.join(root, 'lib', 'extra.ts'));

    const removed = run();

    expect(printed(added)).toBe('value=one added');
    expect(printed(removed)).toBe('value=one');
  });

  it('fails, and runs nothing, when a file an import needs is deleted', () => {
    run();
    rmSync(path.join(root, 'lib', 'value.ts'));

    const result = run();

    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(compiledLine(result)).toBeUndefined();
    expect(result.stderr).toContain('Could not resolve "./value"');
  });

  it('sees a new file that now wins the resolution of an import (./lib.ts before ./lib/index.ts)', () => {
    run();
    write(root, 'lib.ts', "export const value = 'shadow';\n");

    const result = run();

    expect(printed(result)).toBe('value=shadow');
    expect(compiledLine(result)).toContain('lib may resolve to another file');
  });

  it('compiles again when tsconfig.json changes what the code does', () => {
    // useDefineForClassFields decides whether a declared-only field resets what the base constructor set.
    write(
      root,
      'main.ts',
      [
        'class Base { constructor() { (this as { field?: string }).field = "set by the base"; } }',
        'class Derived extends Base { field?: string; }',
        'export function synthesizeApp(): void {',
        '  console.log(`field=${new Derived().field}`);',
        '}',
        '',
      ].join('\n'),
    );
    const before = run();
    edit(root, 'tsconfig.json', '"strict": true', '"strict": true, "useDefineForClassFields": false');

    const after = run();

    expect(printed(before)).toBe('field=undefined');
    expect(printed(after)).toBe('field=set by the base');
    expect(compiledLine(after)).toContain('(tsconfig.json changed)');
  });

  it('compiles again when a package.json esbuild reads changes or appears', () => {
    run();
    edit(root, 'package.json', '"private": true', '"private": true, "sideEffects": false');
    const changed = run();
    write(root, 'lib/package.json', '{ "main": "value.ts" }\n');

    const appeared = run();

    expect(compiledLine(changed)).toContain('(package.json changed)');
    expect(compiledLine(appeared)).toContain('lib/package.json may resolve to another file');
    expect(printed(appeared)).toBe('value=one');
  });

  it('gives __dirname its own directory to a file beside the entry, and refuses it elsewhere', () => {
    write(root, 'main.ts', 'export function synthesizeApp(): void {\n  console.log(__dirname);\n}\n');
    const beside = run();
    write(root, 'main.ts', "import { here } from './lib/here';\nexport function synthesizeApp(): void {\n  console.log(here);\n}\n");
    write(root, 'lib/here.ts', 'export const here = __dirname;\n');

    const elsewhere = run();

    expect(printed(beside)).toBe(root);
    expect(elsewhere.status).not.toBe(0);
    expect(elsewhere.stderr).toContain('lib/here.ts uses __filename, import.meta or __dirname');
  });

  it('refuses a node_modules beside a source, where the compiled app would find other packages', () => {
    run();
    mkdirSync(path.join(root, 'lib', 'node_modules'));

    const result = run();

    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("lib/node_modules: the synth app resolves packages from the project's node_modules only");
  });

  it('runs the edited code in two synths started together after an edit', async () => {
    run();
    edit(root, 'lib/value.ts', "'one'", "'two'");
    const runInBackground = () =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [LAUNCHER, 'main.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout }));
      });

    const results = await Promise.all([runInBackground(), runInBackground()]);

    expect(results).toEqual([
      { code: 0, stdout: 'value=two\n' },
      { code: 0, stdout: 'value=two\n' },
    ]);
    expect(printed(run())).toBe('value=two');
  });

  it("points an error's stack at the TypeScript source line", () => {
    write(root, 'main.ts', "export function synthesizeApp(): void {\n  const reason = 'bad';\n  throw new Error(`synth failed: ${reason}`);\n}\n");

    const result = run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('synth failed: bad');
    expect(result.stderr).toContain(`${path.join(root, 'main.ts')}:3:`);
  });
});

describe('on a copy of this project, run as cdktf runs it', () => {
  // The real stack, so each synth takes a second or more: the cases that need the real app only.
  let root: string;
  let outdir: string;
  const environment = (): NodeJS.ProcessEnv => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PIPELINE_')));
    return { ...env, CI: '1', CHECKPOINT_DISABLE: '1', FORCE_COLOR: '0', CDKTF_OUTDIR: outdir, PIPELINE_STATE_PATH: path.join(root, 'terraform.tfstate') };
  };
  /** cdktf.json's app command, run the way cdktf runs it: through a shell, in the project directory. */
  const runApp = (settings: NodeJS.ProcessEnv = {}) =>
    spawnSync(APP_COMMAND, { shell: true, cwd: root, env: { ...environment(), ...settings }, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  const synthesized = () => JSON.parse(readFileSync(path.join(outdir, 'stacks', STACK_NAME, 'cdk.tf.json'), 'utf8')) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
    output: Record<string, { value: unknown }>;
  };
  const succeeded = (result: SpawnSyncReturns<string>) => {
    if (result.status !== 0) throw new Error(`synth failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
    return result;
  };

  beforeEach(() => {
    root = temporaryDir('synth-app-project-');
    outdir = path.join(root, 'cdktf.out');
    for (const source of ['main.ts', 'pipeline.config.ts', 'modules', 'config', 'contracts', 'runtime', 'scripts/synth-app.js', 'tsconfig.json', 'package.json', 'cdktf.json']) {
      cpSync(path.join(REPO_ROOT, source), path.join(root, source), { recursive: true });
    }
    for (const built of ['dist', '.tools']) symlinkSync(path.join(REPO_ROOT, built), path.join(root, built), 'dir');
    // Each package linked, not node_modules itself: the compiled app's cache (node_modules/.cache) stays the copy's.
    mkdirSync(path.join(root, 'node_modules'));
    for (const name of readdirSync(path.join(REPO_ROOT, 'node_modules')).filter((entry) => entry !== '.cache')) {
      symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(root, 'node_modules', name));
    }
  });

  it('`cdktf synth` after an edit to a module writes the edited value', () => {
    const cdktfSynth = () =>
      spawnSync(CDKTF, ['synth'], { cwd: root, env: environment(), encoding: 'utf8', timeout: RUN_TIMEOUT_MS * 2 });
    const receiveWaits = () => Object.values(synthesized().resource.aws_sqs_queue).map((queue) => queue.receive_wait_time_seconds);
    succeeded(cdktfSynth());
    const before = receiveWaits();
    edit(root, 'modules/sqs/index.ts', 'export const RECEIVE_WAIT_SECONDS = 20;', 'export const RECEIVE_WAIT_SECONDS = 19;');

    succeeded(cdktfSynth());

    expect(before).toContain(20);
    expect(receiveWaits()).toContain(19);
    expect(receiveWaits()).not.toContain(20);
  }, 4 * RUN_TIMEOUT_MS);

  it('reads the PIPELINE_* settings when it runs, so another setting needs no compile', () => {
    succeeded(runApp());
    const withoutEmail = synthesized().output.alarm_topic_arn;

    const withEmail = succeeded(runApp({ PIPELINE_ALARM_EMAIL: 'ops@example.com' }));

    expect(withoutEmail).toBeUndefined();
    expect(compiledLine(withEmail)).toBeUndefined();
    expect(synthesized().output.alarm_topic_arn).toBeDefined();
  }, 3 * RUN_TIMEOUT_MS);

  it('sees a module added to main.ts, and sees it removed', () => {
    succeeded(runApp());
    write(
      root,
      'modules/marker/index.ts',
      "import { TerraformOutput } from 'cdktf';\nimport type { Construct } from 'constructs';\n\n" +
        "export function addMarker(scope: Construct): void {\n  new TerraformOutput(scope, 'marker', { value: 'added' });\n}\n",
    );
    edit(root, 'main.ts', "import { Network } from './modules/vpc';\n", "import { Network } from './modules/vpc';\nimport { addMarker } from './modules/marker';\n");
    edit(root, 'main.ts', '    for (const [key, value] of Object.entries(outputs)', '    addMarker(this);\n    for (const [key, value] of Object.entries(outputs)');
    const added = succeeded(runApp());
    const withMarker = synthesized().output.marker;
    edit(root, 'main.ts', "import { addMarker } from './modules/marker';\n", '');
    edit(root, 'main.ts', '    addMarker(this);\n', '');
    rmSync(path.join(root, 'modules', 'marker'), { recursive: true });

    const removed = succeeded(runApp());

    expect(compiledLine(added)).toContain('(main.ts changed)');
    expect(withMarker).toEqual({ value: 'added' });
    expect(compiledLine(removed)).toContain('(main.ts changed)');
    expect(synthesized().output.marker).toBeUndefined();
  }, 4 * RUN_TIMEOUT_MS);
});
