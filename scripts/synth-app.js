'use strict';
/**
 * The cdktf app (cdktf.json: `node --disable-warning=DEP0044 --max-semi-space-size=4 scripts/synth-app.js main.ts`). Runs the entry
 * compiled by esbuild into one CommonJS file, and compiles it again first whenever anything it was compiled
 * from differs, so a synth never runs stale code. Plain JavaScript, so that node starts it without a
 * TypeScript loader: that loader (tsx) is what this saves, about 30 % of the time and 40 % of the memory
 * (docs/benchmarks.md).
 *
 * What the compiled file depends on is recorded in a manifest beside it and checked on every run:
 * - every file esbuild compiled (our own sources: packages stay external and node loads them as usual), by
 *   the SHA-256 of the exact bytes handed to esbuild, plus tsconfig.json and every package.json it consulted;
 * - for every relative import, the names in its directory that could win its resolution (`./x` → `x.ts`,
 *   `x.js`, `x/index.ts`, `x/package.json`…), so a new file that would shadow the import is noticed, and
 *   that no node_modules has appeared beside a source (packages resolve from the project's node_modules);
 * - this script (it holds the build options) and esbuild's version.
 * The check reads every recorded file in full (a size or a time stamp could miss an edit): a few ms. A
 * compile, in a child process, takes about a tenth of a second. cdktf shows the app's stderr only when it
 * fails.
 *
 * The entry exports `synthesizeApp()`, which this calls: a required module is not `require.main`.
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');

/** Bumped when the manifest's shape changes: an older manifest then means "compile again". */
const MANIFEST_FORMAT = 1;
const CACHE_DIR = path.join('node_modules', '.cache', 'synth-app');
const MANIFEST_NAME = 'manifest.json';
const COMPILED_NAME = /^app-[0-9a-f]+\.js$/;
/** `node scripts/synth-app.js --compile <entry path>`: the child process that compiles (compiledApp). */
const COMPILE_FLAG = '--compile';
/** A superseded compiled file is deleted once this old: a synth that read the manifest before has loaded it. */
const SUPERSEDED_GRACE_MS = 60_000;
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json' };
/** Values that depend on the file they are written in, which one compiled file cannot keep per source. */
const FILE_RELATIVE = /\b__filename\b|\bimport\.meta\b/;
const DIRNAME = /\b__dirname\b/;
/** `__dirname` in a source beside the entry becomes this variable: the entry's directory, found at run time. */
const ENTRY_DIR_VARIABLE = '__synthEntryDir';

/** A failure of this script, not of the app: its message says all. */
class LauncherError extends Error {}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const toPosix = (file) => file.split(path.sep).join('/');
/** Read when this script starts, so that an edit to it during a compile is noticed on the next run. */
const LAUNCHER_DIGEST = sha256(fs.readFileSync(__filename));

/**
 * The names in `dir` that can take part in resolving `<dir>/<name>`: the name, its stem (`x` for `x.js`) and
 * any name that starts with the stem and a dot (`x.ts`, `x.tsx`, `x.d.ts`…), sorted. A missing directory has none.
 * `listings` keeps each directory's entries for the calls that share it.
 */
function candidates(dir, name, listings = new Map()) {
  if (!listings.has(dir)) {
    try {
      listings.set(dir, fs.readdirSync(dir));
    } catch {
      listings.set(dir, []);
    }
  }
  const stem = name.replace(/\.[cm]?[jt]sx?$|\.json$/, '');
  return listings
    .get(dir)
    .filter((entry) => entry === name || entry === stem || entry.startsWith(`${stem}.`))
    .sort();
}

function readManifest(cacheDir) {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(cacheDir, MANIFEST_NAME), 'utf8'));
    return manifest.format === MANIFEST_FORMAT ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** The version `require('esbuild')` would load now. */
function installedEsbuildVersion() {
  return JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
}

/**
 * Why compiling `entry` now could give something other than the compiled app `manifest` records, or
 * undefined when it cannot.
 */
function staleReason(root, entry, cacheDir, manifest) {
  if (manifest === undefined) return 'nothing compiled yet';
  if (manifest.entry !== entry) return `the entry is now ${entry}, not ${manifest.entry}`;
  if (manifest.launcher !== LAUNCHER_DIGEST) return `${path.basename(__filename)} changed`;
  const esbuildVersion = installedEsbuildVersion();
  if (manifest.esbuild !== esbuildVersion) return `esbuild is now ${esbuildVersion}, not ${manifest.esbuild}`;
  for (const [file, digest] of Object.entries(manifest.inputs)) {
    let bytes;
    try {
      bytes = fs.readFileSync(path.resolve(root, file));
    } catch {
      return `${file} is gone`;
    }
    if (sha256(bytes) !== digest) return `${file} changed`;
  }
  const listings = new Map();
  for (const { dir, name, names } of manifest.resolutions) {
    const now = candidates(path.resolve(root, dir), name, listings);
    if (now.join('/') !== names.join('/')) {
      return `${toPosix(path.join(dir, name))} may resolve to another file: [${names.join(', ')}] is now [${now.join(', ')}]`;
    }
  }
  if (!fs.existsSync(path.join(cacheDir, manifest.compiled))) return `${manifest.compiled} is missing`;
  return undefined;
}

/** The nearest package.json at or above `dir` (undefined when none), and every directory looked in. */
function nearestPackageJson(dir) {
  const searched = [];
  for (let current = dir; ; current = path.dirname(current)) {
    searched.push(current);
    const candidate = path.join(current, 'package.json');
    if (fs.existsSync(candidate)) return { file: candidate, searched };
    if (path.dirname(current) === current) return { file: undefined, searched };
  }
}

/** Writes `contents` to `file` through a rename, so a concurrent synth never reads half a file. */
function writeAtomically(file, contents) {
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, contents);
  fs.renameSync(staging, file);
}

/**
 * The esbuild plugin that records what the compiled app depends on, each thing read before esbuild reads
 * it (so a change made during the compile is caught by the next check), and that keeps packages external.
 */
function recordingPlugin(root, entryDir, record) {
  const relative = (file) => toPosix(path.relative(root, file));
  const dependOnPackageJsons = (dir) => {
    const { file, searched } = nearestPackageJson(dir);
    if (file !== undefined) record.file(file);
    for (const looked of searched) record.resolution(looked, 'package.json');
  };
  // The compiled app finds packages from <root>/node_modules up, as a source at the root does. A node_modules
  // nearer a source would give that source other packages than the compiled app gets.
  const refuseNestedNodeModules = (dir) => {
    for (let current = dir; current.startsWith(`${root}${path.sep}`); current = path.dirname(current)) {
      record.resolution(current, 'node_modules');
      if (fs.existsSync(path.join(current, 'node_modules'))) {
        throw new Error(`${relative(path.join(current, 'node_modules'))}: the synth app resolves packages from the project's node_modules only`);
      }
    }
  };
  return {
    name: 'record-inputs',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const isPath = args.kind === 'entry-point' || /^\.{1,2}(\/|$)|^\//.test(args.path);
        if (!isPath) return { external: true };
        const target = path.resolve(args.resolveDir || root, args.path);
        record.resolution(path.dirname(target), path.basename(target));
        record.resolution(target, 'index');
        record.resolution(target, 'package.json');
        dependOnPackageJsons(path.dirname(target));
        if (fs.existsSync(path.join(target, 'package.json'))) record.file(path.join(target, 'package.json'));
        return undefined;
      });
      build.onLoad({ filter: /.*/ }, (args) => {
        const loader = LOADERS[path.extname(args.path)];
        if (loader === undefined) throw new Error(`${relative(args.path)}: the synth app compiles only JavaScript, TypeScript and JSON`);
        const bytes = record.file(args.path);
        const text = bytes.toString('utf8');
        if (FILE_RELATIVE.test(text) || (DIRNAME.test(text) && path.dirname(args.path) !== entryDir)) {
          throw new Error(
            `${relative(args.path)} uses __filename, import.meta or __dirname, which one compiled file cannot give each ` +
              `source (only files beside the entry may use __dirname): pass the path in from the entry`,
          );
        }
        dependOnPackageJsons(path.dirname(args.path));
        refuseNestedNodeModules(path.dirname(args.path));
        return { contents: bytes, loader, resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/**
 * Compiles `entry` (relative to `root`) into `cacheDir` and writes its manifest. Relative imports are
 * bundled; bare ones (packages, node: built-ins) stay external. Returns the manifest.
 */
async function compile(root, entry, cacheDir) {
  const esbuild = require('esbuild');
  const entryDir = path.dirname(path.resolve(root, entry));
  const inputs = new Map();
  const resolutions = new Map();
  const record = {
    /** The file's bytes; the first read is the one recorded, being the earliest. */
    file(file) {
      const bytes = fs.readFileSync(file);
      const key = toPosix(path.relative(root, file));
      if (!inputs.has(key)) inputs.set(key, sha256(bytes));
      return bytes;
    },
    resolution(dir, name) {
      const key = `${toPosix(path.relative(root, dir))}\0${name}`;
      if (!resolutions.has(key)) resolutions.set(key, { dir: toPosix(path.relative(root, dir)), name, names: candidates(dir, name) });
    },
  };

  // Given explicitly, so that esbuild reads no other tsconfig (one nearer a source, one above the root).
  const tsconfig = path.join(root, 'tsconfig.json');
  if (!fs.existsSync(tsconfig)) throw new Error(`${tsconfig} is missing: the synth app compiles with the project's tsconfig.json`);
  if (/"extends"\s*:/.test(record.file(tsconfig).toString('utf8'))) {
    throw new Error(`${tsconfig} uses "extends", which ${path.basename(__filename)} does not follow: inline what it extends`);
  }

  fs.mkdirSync(cacheDir, { recursive: true });
  let code;
  try {
    const result = await esbuild.build({
      entryPoints: [path.resolve(root, entry)],
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      outfile: path.join(cacheDir, 'app.js'),
      write: false,
      // Read only when an error is reported (sourceMappedStack); sources stay on disk.
      sourcemap: 'inline',
      sourcesContent: false,
      tsconfig,
      define: { __dirname: ENTRY_DIR_VARIABLE },
      banner: { js: `const ${ENTRY_DIR_VARIABLE} = require("node:path").resolve(__dirname, ${JSON.stringify(toPosix(path.relative(cacheDir, entryDir)))});` },
      plugins: [recordingPlugin(root, entryDir, record)],
      logLevel: 'silent',
    });
    // Such as a require() esbuild cannot follow: the compiled app could then behave unlike the sources.
    if (result.warnings.length > 0) {
      const messages = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
      throw new Error(`esbuild warned, so the compiled app might not do what the sources say:\n${messages.join('\n')}`);
    }
    code = result.outputFiles[0].contents;
  } finally {
    await esbuild.stop();
  }

  // Named by its content, so the manifest (renamed into place last) never names a file another compile rewrote.
  const compiled = `app-${sha256(code).slice(0, 16)}.js`;
  writeAtomically(path.join(cacheDir, compiled), code);
  const manifest = {
    format: MANIFEST_FORMAT,
    entry,
    compiled,
    launcher: LAUNCHER_DIGEST,
    esbuild: esbuild.version,
    inputs: Object.fromEntries([...inputs].sort(([a], [b]) => a.localeCompare(b))),
    resolutions: [...resolutions.values()],
  };
  writeAtomically(path.join(cacheDir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 1)}\n`);
  deleteSuperseded(cacheDir, compiled);
  return manifest;
}

function deleteSuperseded(cacheDir, keep) {
  const cutoff = Date.now() - SUPERSEDED_GRACE_MS;
  for (const name of fs.readdirSync(cacheDir)) {
    if (name === keep || !COMPILED_NAME.test(name)) continue;
    try {
      if (fs.statSync(path.join(cacheDir, name)).mtimeMs < cutoff) fs.rmSync(path.join(cacheDir, name), { force: true });
    } catch {
      // Another synth deleted it first.
    }
  }
}

/**
 * The path of the compiled app for `entry` (relative to `root`), compiled first when missing or stale.
 * `log` receives one line saying why it compiled.
 */
function compiledApp(root, entry, log) {
  const cacheDir = path.join(root, CACHE_DIR);
  const manifest = readManifest(cacheDir);
  const reason = staleReason(root, entry, cacheDir, manifest);
  if (reason === undefined) return path.join(cacheDir, manifest.compiled);
  // In a child process, so that this one, which synthesizes next, holds nothing of the compile: in process
  // the first synth after an edit peaked 5–20 MiB higher. The child names the file it wrote: a concurrent
  // synth may have replaced the manifest with an older compile in the meantime.
  const started = Date.now();
  const child = spawnSync(process.execPath, [__filename, COMPILE_FLAG, path.join(root, entry)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (child.status !== 0 || !COMPILED_NAME.test(child.stdout)) {
    throw new LauncherError(`synth-app: compiling ${entry} failed (${child.error?.message ?? `exit ${child.status}`})`);
  }
  log(`synth-app: compiled ${entry} in ${Date.now() - started} ms (${reason})`);
  return path.join(cacheDir, child.stdout);
}

/**
 * `stack` with each position in the compiled file replaced by its source position. Only for an error: node's
 * own --enable-source-maps would decode the inline maps of every cdktf and provider module on every synth.
 */
function sourceMappedStack(stack, compiled) {
  const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(fs.readFileSync(compiled, 'utf8'));
  if (inline === null) return stack;
  const { SourceMap } = require('node:module');
  const map = new SourceMap(JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8')));
  const position = new RegExp(`${compiled.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  return stack.replace(position, (frame, line, column) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (entry.originalSource === undefined) return frame;
    const source = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : path.resolve(path.dirname(compiled), entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

function main() {
  const [entryArgument] = process.argv.slice(2);
  if (entryArgument === undefined) throw new LauncherError('usage: node scripts/synth-app.js <entry.ts>');
  const entryPath = path.resolve(entryArgument);
  if (!fs.existsSync(entryPath)) throw new LauncherError(`synth-app: the entry ${entryArgument} does not exist`);
  const compiled = compiledApp(path.dirname(entryPath), path.basename(entryPath), (line) => process.stderr.write(`${line}\n`));
  try {
    const app = require(compiled);
    if (typeof app.synthesizeApp !== 'function') throw new LauncherError(`synth-app: ${entryArgument} does not export synthesizeApp()`);
    app.synthesizeApp();
  } catch (error) {
    if (error instanceof Error && typeof error.stack === 'string') error.stack = sourceMappedStack(error.stack, compiled);
    throw error;
  }
}

/**
 * The child compiledApp starts: compiles, then prints the compiled file's name. It exits only after esbuild's
 * service process has: esbuild's stop() kills it without waiting, and a process that is never waited for
 * stays a zombie where the container's init does not reap orphans.
 */
async function compileMain() {
  const childProcess = require('node:child_process');
  const spawn = childProcess.spawn;
  const spawned = [];
  childProcess.spawn = (...args) => {
    const child = spawn(...args);
    spawned.push(child);
    return child;
  };
  const entryPath = process.argv[3];
  const root = path.dirname(entryPath);
  try {
    const manifest = await compile(root, path.basename(entryPath), path.join(root, CACHE_DIR));
    process.stdout.write(manifest.compiled);
  } finally {
    // esbuild unrefs its process: ref it again, or node would exit before the exit is seen.
    const running = spawned.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(
      running.map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.ref();
          }),
      ),
    );
  }
}

/** The app's errors are printed with their (source-mapped) stack; the compile's and this script's, as a message. */
function fail(error) {
  const showStack = error instanceof Error && !(error instanceof LauncherError) && process.argv[2] !== COMPILE_FLAG;
  process.stderr.write(`${showStack ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

try {
  if (process.argv[2] === COMPILE_FLAG) compileMain().catch(fail);
  else main();
} catch (error) {
  fail(error);
}
