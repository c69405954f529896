import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PYTHON_TOOLS_DIR, REPO_ROOT, TERRAFORM_CLI_CONFIG, VENV_BIN } from './paths';

export const PROVIDER_MIRROR_PATH = 'registry.terraform.io/hashicorp/aws/5.100.0';

/** What the checks can observe; the real one looks at this machine. */
export interface Probe {
  commandWorks(command: string, args: readonly string[]): boolean;
  fileExists(file: string): boolean;
  readFile(file: string): string;
}

export const machineProbe: Probe = {
  commandWorks: (command, args) => {
    const result = spawnSync(command, [...args], { stdio: 'ignore' });
    return !result.error && result.status === 0;
  },
  fileExists: existsSync,
  readFile: (file) => readFileSync(file, 'utf8'),
};

/**
 * The first missing prerequisite of a local run, as one line naming it and how to get it; undefined
 * when nothing is missing. `setupNeeded` means scripts/setup-tools.sh can fix what is missing.
 */
export function missingPrerequisite(probe: Probe, env: NodeJS.ProcessEnv = process.env): { line: string; setupNeeded: boolean } | undefined {
  if (!probe.commandWorks('terraform', ['version'])) {
    return { line: 'terraform not found: install Terraform >= 1.10 and put it on PATH.', setupNeeded: false };
  }
  const venvReady = probe.fileExists(path.join(VENV_BIN, 'moto_server'));
  if (!venvReady) {
    const python = env.PYTHON ?? 'python3';
    if (!probe.commandWorks(python, ['--version'])) {
      return { line: `Python 3 not found (${python}): install python3 (with venv), or set PYTHON to its path.`, setupNeeded: false };
    }
    return {
      line: `the Python virtualenv with moto (${path.relative(REPO_ROOT, PYTHON_TOOLS_DIR)}) is missing: running scripts/setup-tools.sh to create it.`,
      setupNeeded: true,
    };
  }
  if (!probe.fileExists(TERRAFORM_CLI_CONFIG)) {
    return { line: 'the Terraform provider mirror is not configured: running scripts/setup-tools.sh to configure it.', setupNeeded: true };
  }
  const mirror = /path\s*=\s*"([^"]+)"/.exec(probe.readFile(TERRAFORM_CLI_CONFIG))?.[1];
  if (!mirror || !probe.fileExists(path.join(mirror, PROVIDER_MIRROR_PATH))) {
    return {
      line: `no local copy of the hashicorp/aws 5.100.0 provider at ${mirror ?? '(unset)'}: set TF_PROVIDER_MIRROR to a directory holding ${PROVIDER_MIRROR_PATH}/<os_arch>/ and run "bash scripts/setup-tools.sh".`,
      setupNeeded: false,
    };
  }
  return undefined;
}

/**
 * Checks the prerequisites and runs scripts/setup-tools.sh when it can fix what is missing. Returns
 * one line naming what is still missing, or undefined when the local run can start.
 */
export function ensurePrerequisites(probe: Probe = machineProbe, report: (line: string) => void = console.log): string | undefined {
  const missing = missingPrerequisite(probe);
  if (!missing) return undefined;
  if (!missing.setupNeeded) return missing.line;
  report(missing.line);
  const setup = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-tools.sh')], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
  const stderr = setup.stderr?.toString().trim() ?? '';
  if (setup.status !== 0) return stderr.split('\n').pop() || 'scripts/setup-tools.sh failed';
  return missingPrerequisite(probe)?.line;
}
