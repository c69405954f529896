const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const BUNDLES = ['dist/orchestrator/index.js', 'dist/worker/worker.js'].map((file) => path.join(ROOT, file));
const SOURCES = ['contracts', 'functions', 'runtime', 'worker'].map((dir) => path.join(ROOT, dir));
/**
 * The packed runtime that contracts/node-runtime.ts pins. This file is plain JavaScript and cannot import the
 * contract, so it reads the name from its source; the fetch script then checks the archive for real.
 */
const NODE_RUNTIME_ARCHIVE = (() => {
  const source = readFileSync(path.join(ROOT, 'contracts', 'node-runtime.ts'), 'utf8');
  const [, packageName] = /packageName: '([^']+)'/.exec(source);
  const [, version] = /version: '([^']+)'/.exec(source);
  return path.join(ROOT, '.tools', 'node-runtime', `${packageName}-${version}.tgz`);
})();

/**
 * jest's globalSetup: builds the bundles once, before any suite starts, when one is missing or older than
 * its sources (`npm test` has just built them; a direct `npx jest` after an edit has not). Suites only read
 * dist/: a build inside a suite would empty dist/ under the suites running beside it. Also packs the pinned
 * Node.js runtime when it is missing, as `npm run build` does: every synth of the stack uploads it.
 */
module.exports = function buildBundles() {
  const newestSource = Math.max(...SOURCES.flatMap(listTypeScript).map((file) => statSync(file).mtimeMs));
  const stale = BUNDLES.some((bundle) => !existsSync(bundle) || statSync(bundle).mtimeMs < newestSource);
  if (stale) {
    const result = spawnSync(process.execPath, [require.resolve('tsup/dist/cli-default.js')], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building the bundles failed (tsup exit ${result.status})`);
  }
  if (!existsSync(NODE_RUNTIME_ARCHIVE)) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fetch-node-runtime.ts'], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`packing the Node.js runtime failed (exit ${result.status})`);
  }
};

function listTypeScript(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
