'use strict';
/**
 * The cdktf app (cdktf.json: `node --disable-warning=DEP0044 --max-semi-space-size=4 scripts/synth-app.js main.ts`).
 * Compiles the entry with esbuild into one CommonJS module in memory, on every synth, and runs it: relative
 * imports are bundled, packages stay external and node loads them as usual. Plain JavaScript, so that node
 * starts it without a TypeScript loader: that loader (tsx) is what this saves, about 30 % of the time and 40 %
 * of the memory; the compile costs a few tenths of a second (docs/benchmarks.md).
 *
 * The module runs as if it sat beside the entry, so `__dirname` is the entry's directory: a source elsewhere
 * that uses `__dirname` or `__filename` would get the wrong one, and is refused.
 *
 * The entry exports `synthesizeApp()`, which this calls: a required module is not `require.main`.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { fileURLToPath } = require('node:url');

/** A failure of this script, not of the app: its message says all. */
class LauncherError extends Error {}

const FILE_RELATIVE = /\b__dirname\b|\b__filename\b/;

/** The entry and what it imports, compiled into one module's code, with an inline source map. */
function compile(entryPath) {
  // buildSync then runs esbuild as one synchronous child process that has exited when it returns, rather than
  // from a worker thread that keeps a service process: 13 MiB less at the synth's peak, and nothing left behind.
  process.env.ESBUILD_WORKER_THREADS = '0';
  const esbuild = require('esbuild');
  const root = path.dirname(entryPath);
  let result;
  try {
    result = esbuild.buildSync({
    entryPoints: [entryPath],
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile: path.join(root, 'synth-app.js'),
    write: false,
    metafile: true,
    // Read only when an error is reported (sourceMappedStack); sources stay on disk.
    sourcemap: 'inline',
    sourcesContent: false,
    // Given explicitly, so that esbuild reads no other tsconfig (one nearer a source, one above the root).
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'silent',
    });
  } catch (error) {
    throw new LauncherError(`synth-app: compiling ${path.basename(entryPath)} failed: ${error.message}`);
  }
  // Such as a require() esbuild cannot follow: the compiled app could then behave unlike the sources.
  if (result.warnings.length > 0) {
    const messages = esbuild.formatMessagesSync(result.warnings, { kind: 'warning' });
    throw new LauncherError(`synth-app: esbuild warned, so the compiled app might not do what the sources say:\n${messages.join('\n')}`);
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(root, input);
    if (path.dirname(file) !== root && FILE_RELATIVE.test(fs.readFileSync(file, 'utf8'))) {
      throw new LauncherError(
        `synth-app: ${input} uses __dirname or __filename, which would be the entry's here (only files beside the entry may): pass the path in from the entry`,
      );
    }
  }
  return result.outputFiles[0].text;
}

/**
 * `stack` with each position in the compiled module replaced by its source position. Only for an error: node's
 * own --enable-source-maps would decode the source maps of every cdktf and provider module on every synth.
 */
function sourceMappedStack(stack, filename, code) {
  const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (inline === null) return stack;
  const map = new Module.SourceMap(JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8')));
  const position = new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  return stack.replace(position, (frame, line, column) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (entry.originalSource === undefined) return frame;
    const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(filename), entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

function main() {
  const [entryArgument] = process.argv.slice(2);
  if (entryArgument === undefined) throw new LauncherError('usage: node scripts/synth-app.js <entry.ts>');
  const entryPath = path.resolve(entryArgument);
  if (!fs.existsSync(entryPath)) throw new LauncherError(`synth-app: the entry ${entryArgument} does not exist`);
  const code = compile(entryPath);
  // A module beside the entry, where the entry's own code expects to be.
  const filename = path.join(path.dirname(entryPath), 'synth-app.js');
  const app = new Module(filename, module);
  app.filename = filename;
  app.paths = Module._nodeModulePaths(path.dirname(filename));
  try {
    app._compile(code, filename);
    if (typeof app.exports.synthesizeApp !== 'function') throw new LauncherError(`synth-app: ${entryArgument} does not export synthesizeApp()`);
    app.exports.synthesizeApp();
  } catch (error) {
    if (error instanceof Error && !(error instanceof LauncherError) && typeof error.stack === 'string') {
      error.stack = sourceMappedStack(error.stack, filename, code);
    }
    throw error;
  }
}

try {
  main();
} catch (error) {
  const showStack = error instanceof Error && !(error instanceof LauncherError);
  process.stderr.write(`${showStack ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
