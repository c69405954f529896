import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Repository root. The local run and the tests always run this file from source (tsx, ts-jest), never from dist/. */
export const REPO_ROOT = path.resolve(__dirname, '../..');
/** The project's Python virtualenv with moto and checkov (scripts/setup-tools.sh creates it). */
export const VENV_BIN = path.join(REPO_ROOT, '.venv', 'bin');
/** Terraform CLI configuration pointing at the local provider mirror (scripts/setup-tools.sh writes it). */
export const TERRAFORM_CLI_CONFIG = path.join(REPO_ROOT, '.tools', 'terraformrc');
/** The built worker bundle (`npm run build`; jest's globalSetup builds it when stale). */
export const WORKER_BUNDLE = path.join(REPO_ROOT, 'dist', 'worker', 'worker.js');

/** Fails, naming the command, when the worker bundle has not been built; nothing here builds it. */
export function requireWorkerBundle(): void {
  if (!existsSync(WORKER_BUNDLE)) throw new Error(`${WORKER_BUNDLE} is missing: run "npm run build" (npm test does).`);
}
