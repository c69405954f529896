/**
 * The soak's command mode (`npm run soak -- --mode command`): every row goes through a command processor that
 * copies its input after a pause of 1–2.9 s, and kills hit workers as they start a command (so mid-command), and a few rows are planned
 * to fail in it: some exit 3 (FAILED with the command's reason), some exit 75 once, then succeed (the message
 * comes back and the retry finishes). The command reads its plan from marker files in a directory of the run
 * (`SOAK_STATE`), written before the rows: the plan decides, the command only looks.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PipelineConfig } from '../../config/pipeline-config';
import { loadProcessorCatalog, type CommandProcessorDeclaration } from '../../config/processors';
import { commandOutputPrefix, WorkerLogEvent, type ProcessorCatalog } from '../../contracts';
import { s3Url } from '../../runtime/item-paths';
import { COPY_MODE, rowPaths, type SoakMode } from './mode';
import type { SoakPlan } from './plan';
import { seededRandom } from './random';

/** The command processor every row of a command-mode soak gets (the deployment's default). */
export const SOAK_COMMAND_PROCESSOR = 'soak-command';
/** The reason a row planned to fail ends with. */
export const PLANNED_FAILURE_REASON = /^command exited with code 3: soak: planned failure$/;

/** Shares of the rows, taken from the plain ones (no bad input, resubmission, duplicate or shared path), that fail or fail once. */
export const COMMAND_MODE_SHARES = { failing: 0.03, flaky: 0.03 } as const;

export interface CommandModePlan {
  /** Rows whose command exits 3: FAILED. */
  readonly failing: ReadonlySet<string>;
  /** Rows whose command exits 75 on its first run and copies on the next: FINISHED. */
  readonly flaky: ReadonlySet<string>;
}

/**
 * Pure: which plain rows fail and which fail once, from the plan and its seed. A share above 0 gives at least
 * one row; 0 gives none (a retry costs a visibility timeout, which a short run may not want to wait for).
 */
export function planCommandMode(plan: SoakPlan, shares: { readonly failing: number; readonly flaky: number } = COMMAND_MODE_SHARES): CommandModePlan {
  const sharedPaths = new Set(plan.rows.flatMap((row) => (row.samePathAs ? [row.samePathAs] : [])));
  const plain = plan.rows.filter((row) => !row.bad && !row.resubmission && !row.duplicate && !row.samePathAs && !sharedPaths.has(row.id));
  const shuffled = seededRandom(`${plan.parameters.seed}/command-mode`).shuffle(plain).map((row) => row.id);
  const count = (share: number) => (plain.length < 4 || share === 0 ? 0 : Math.max(1, Math.round(plan.rows.length * share)));
  const failing = shuffled.slice(0, count(shares.failing));
  const flaky = shuffled.slice(failing.length, failing.length + count(shares.flaky));
  return { failing: new Set(failing), flaky: new Set(flaky) };
}

/**
 * The processor: bash with the row's values as positional arguments (never interpolated into the script),
 * looking up its plan in SOAK_STATE. A pause of 1 to 2.9 s makes the command the longest part of a job, and
 * longer than a kill's delay after `command_started`.
 */
export function soakCommandProcessor(stateDir: string): CommandProcessorDeclaration {
  const script = [
    'id=$1 input=$2 out=$3',
    'if [ -e "$SOAK_STATE/fail/$id" ]; then echo "soak: planned failure" >&2; exit 3; fi',
    'if [ -e "$SOAK_STATE/flaky/$id" ] && mkdir "$SOAK_STATE/flaky/$id.tried" 2>/dev/null; then echo "soak: try again later" >&2; exit 75; fi',
    'sleep "$((1 + RANDOM % 2)).$((RANDOM % 10))"',
    'exec cp -- "$input" "$out/"',
  ].join('\n');
  return { type: 'command', command: ['bash', '-c', script, 'soak-command', '{id}', '{input}', '{output_dir}'], timeoutSeconds: 120, env: { SOAK_STATE: stateDir } };
}

/** The catalog a command-mode soak deploys: pipeline.config.ts's processors and the soak's, which is the default. */
export function commandModeCatalog(config: PipelineConfig, env: NodeJS.ProcessEnv, stateDir: string): ProcessorCatalog {
  return loadProcessorCatalog(
    { ...config, processors: { ...config.processors, [SOAK_COMMAND_PROCESSOR]: soakCommandProcessor(stateDir) }, defaultProcessor: SOAK_COMMAND_PROCESSOR },
    { ...env, PIPELINE_DEFAULT_PROCESSOR: SOAK_COMMAND_PROCESSOR },
  );
}

/** Writes the plan's markers where the command looks for them. */
export function writeCommandModeMarkers(stateDir: string, commandPlan: CommandModePlan): void {
  for (const [kind, ids] of [['fail', commandPlan.failing], ['flaky', commandPlan.flaky]] as const) {
    mkdirSync(path.join(stateDir, kind), { recursive: true });
    for (const id of ids) writeFileSync(path.join(stateDir, kind, id), '');
  }
}

/** Pure: the command mode's outputs (`data/output/<rest>/soak-command/<name>`, a copy of the input) and outcomes. */
export function commandMode(commandPlan: CommandModePlan): SoakMode {
  const prefix = (outputKey: string) => commandOutputPrefix(outputKey, SOAK_COMMAND_PROCESSOR);
  return {
    name: 'command',
    // A kill lands 0–0.5 s after a command starts, and every command runs at least 1 s: always mid-command.
    killOn: WorkerLogEvent.commandStarted,
    expectedOutputPath: (row, bucketName) => {
      const paths = rowPaths(row, bucketName);
      return paths === undefined ? undefined : s3Url(bucketName, prefix(paths.outputKey));
    },
    outputObjectKey: (row, bucketName) => {
      const paths = rowPaths(row, bucketName);
      return paths === undefined ? undefined : `${prefix(paths.outputKey)}${paths.rest.slice(paths.rest.lastIndexOf('/') + 1)}`;
    },
    expectedOutcome: (planned) => (commandPlan.failing.has(planned.id) ? { status: 'FAILED', reason: PLANNED_FAILURE_REASON } : COPY_MODE.expectedOutcome(planned)),
  };
}

/**
 * Commands a kill cut short, from the workers' logs: every `command_started` without a `command_exited` (its
 * worker died with it: SIGKILL) and every `command_exited` whose end is `aborted` (its worker stopped on SIGTERM
 * and ended it). The evidence that the chaos hit workers mid-command.
 */
export function interruptedCommands(logPaths: readonly string[]): number {
  let started = 0;
  let completed = 0;
  for (const logPath of logPaths) {
    if (!existsSync(logPath)) continue;
    for (const line of readFileSync(logPath, 'utf8').split('\n')) {
      if (!line.includes('"command_')) continue;
      try {
        const entry = JSON.parse(line) as { event?: unknown; end?: { kind?: unknown } };
        if (entry.event === WorkerLogEvent.commandStarted) started += 1;
        if (entry.event === WorkerLogEvent.commandExited && entry.end?.kind !== 'aborted') completed += 1;
      } catch {
        // A line cut short by SIGKILL.
      }
    }
  }
  return started - completed;
}
