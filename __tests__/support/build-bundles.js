const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const BUNDLES = ['dist/orchestrator/index.js', 'dist/worker/worker.js'].map((file) => path.join(ROOT, file));
const SOURCES = ['contracts', 'functions', 'runtime', 'worker'].map((dir) => path.join(ROOT, dir));

/**
 * jest's globalSetup: builds the bundles once, before any suite starts, when one is missing or older than
 * its sources (`npm test` has just built them; a direct `npx jest` after an edit has not). Suites only read
 * dist/: a build inside a suite would empty dist/ under the suites running beside it.
 */
module.exports = function buildBundles() {
  const newestSource = Math.max(...SOURCES.flatMap(listTypeScript).map((file) => statSync(file).mtimeMs));
  const stale = BUNDLES.some((bundle) => !existsSync(bundle) || statSync(bundle).mtimeMs < newestSource);
  if (!stale) return;
  const result = spawnSync(process.execPath, [require.resolve('tsup/dist/cli-default.js')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`building the bundles failed (tsup exit ${result.status})`);
};

function listTypeScript(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
