import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Repository root. The local run and the tests always run this file from source (tsx, ts-jest), never from dist/. */
export const REPO_ROOT = path.resolve(__dirname, '../..');
/**
 * The project's Python virtualenv: moto, checkov, parliament and zizmor (scripts/setup-tools.sh creates it).
 * It sits with the other third-party code under node_modules, so that tools reading the project's own tree
 * (source scanners, linters) never read numpy's tests or cloudsplaining's bundled JavaScript as ours; `npm ci`
 * clears it with node_modules, and the next setup reinstalls it.
 */
export const PYTHON_TOOLS_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'python-tools');
export const VENV_BIN = path.join(PYTHON_TOOLS_DIR, 'bin');
/** Terraform CLI configuration pointing at the local provider mirror (scripts/setup-tools.sh writes it). */
export const TERRAFORM_CLI_CONFIG = path.join(REPO_ROOT, '.tools', 'terraformrc');
/** The built worker bundle (`npm run build`; jest's globalSetup builds it when stale). */
export const WORKER_BUNDLE = path.join(REPO_ROOT, 'dist', 'worker', 'worker.js');

/** Fails, naming the command, when the worker bundle has not been built; nothing here builds it. */
export function requireWorkerBundle(): void {
  if (!existsSync(WORKER_BUNDLE)) throw new Error(`${WORKER_BUNDLE} is missing: run "npm run build" (npm test does).`);
}
