import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { MAX_WORKER_SETUP_SCRIPT_BYTES, WORKER_SETUP_TIMEOUT_SECONDS } from '../contracts';
import { ConfigError } from '../runtime/env';
import { SpecProblems } from '../runtime/processors/spec-problems';
import { PIPELINE_CONFIG_FILE } from './config-file';

/**
 * A script the bootstrap runs once on every worker, as root, before the worker starts: it installs what the
 * deployment's commands need (docs/processors.md, "Software on the worker").
 */
export interface WorkerSetupDeclaration {
  /** The script's path, relative to the repository root (where pipeline.config.ts is). It must start with `#!`. */
  readonly script: string;
  /**
   * Seconds it may run before the boot fails (status 124, stage `setup`) and the orchestrator backs off; 1 to 3600.
   * @default 600
   */
  readonly timeoutSeconds?: number;
}

/** The checked declaration: the script's absolute path and its timeout. */
export interface WorkerSetup {
  readonly scriptPath: string;
  readonly timeoutSeconds: number;
}

/** The worker setup part of pipeline.config.ts (config/pipeline-config.ts). */
export interface WorkerSetupConfig {
  /**
   * A script every worker runs once at boot, as root, before it takes work: it installs the tools your command
   * processors run (this file).
   * @default undefined — none: commands find what the image has
   */
  readonly workerSetup?: WorkerSetupDeclaration;
}

/**
 * The worker setup of pipeline.config.ts, checked: the script exists under `rootDir`, is a file the synth can
 * upload (at most MAX_WORKER_SETUP_SCRIPT_BYTES) and starts with `#!`. Undefined when none is declared. A bad
 * value throws a ConfigError naming the setting and the value.
 */
export function loadWorkerSetup(config: WorkerSetupConfig, rootDir: string): WorkerSetup | undefined {
  const declared: unknown = config.workerSetup;
  if (declared === undefined) return undefined;
  const problems = new SpecProblems();
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
    problems.add('workerSetup', 'an object with a "script"', declared);
    throw prefixed(problems);
  }
  const raw = declared as Record<string, unknown>;
  for (const [field, value] of Object.entries(raw)) {
    if (!['script', 'timeoutSeconds'].includes(field)) problems.add(`workerSetup.${field}`, "left out: the worker setup's settings are script, timeoutSeconds", value);
  }
  const timeoutSeconds = problems.integer('workerSetup.timeoutSeconds', raw.timeoutSeconds, WORKER_SETUP_TIMEOUT_SECONDS.default, WORKER_SETUP_TIMEOUT_SECONDS);
  let scriptPath = '';
  if (typeof raw.script !== 'string' || raw.script === '') {
    problems.add('workerSetup.script', 'the path of a script, relative to the repository root', raw.script);
  } else {
    scriptPath = path.resolve(rootDir, raw.script);
    const problem = scriptProblem(scriptPath);
    if (problem !== undefined) problems.add('workerSetup.script', `${problem} (${scriptPath})`, raw.script);
  }
  if (problems.count() > 0) throw prefixed(problems);
  return { scriptPath, timeoutSeconds };
}

/** Why the file cannot be the setup script; undefined when it can. */
function scriptProblem(file: string): string | undefined {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return 'a file';
    size = stats.size;
  } catch {
    return 'an existing file';
  }
  if (size > MAX_WORKER_SETUP_SCRIPT_BYTES) return `at most ${MAX_WORKER_SETUP_SCRIPT_BYTES} bytes: download larger tools from the script`;
  const head = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1') === '#!' ? undefined : 'a script starting with #! (its interpreter: it is run as a program)';
}

function prefixed(problems: SpecProblems): ConfigError {
  try {
    problems.throwIfAny();
  } catch (error) {
    if (error instanceof ConfigError) return new ConfigError(error.problems.map((problem) => `${PIPELINE_CONFIG_FILE}: ${problem}`));
    throw error;
  }
  return new ConfigError([]);
}
