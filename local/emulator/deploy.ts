import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { loadCapacity } from '../../config/capacity';
import { loadProcessorCatalog } from '../../config/processors';
import { loadWorkerSetup } from '../../config/worker-setup';
import { loadSettings, SettingName } from '../../config/settings';
import type { ProcessorCatalog } from '../../contracts';
import { ORCHESTRATOR_CODE_DIR, PipelineStack, STACK_NAME, WORKER_BUNDLE_PATH } from '../../main';
import pipelineConfig from '../../pipeline.config';
import type { Pattern } from '../standins/filter-matcher';
import { REPO_ROOT } from './paths';
import { terraform, writeOfflineOverride } from './terraform';

/** Settings a remote deployment needs and a local one must never pick up from the shell. */
const STATE_SETTINGS = [SettingName.stateBucket, SettingName.stateKey, SettingName.stateRegion, SettingName.statePath];

/** A pipe as Terraform deployed it, read back from the state. */
export interface DeployedPipe {
  readonly name: string;
  readonly sourceArn: string;
  readonly targetArn: string;
  readonly filterPatterns: readonly Pattern[];
  readonly batchSize: number;
  /** The target's input template; undefined when the pipe delivers records unchanged. */
  readonly inputTemplate?: string;
  /** For an event bus target: what each event carries besides its detail. */
  readonly eventBus?: { readonly source: string; readonly detailType: string; readonly resources: readonly string[] };
}

export interface Deployment {
  /** Directory holding cdk.tf.json, the override, .terraform and the state. */
  readonly stackDir: string;
  /** `terraform output -json`, name → value. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Every pipe on the table's stream. */
  readonly pipes: readonly DeployedPipe[];
}

export interface DeployOptions {
  readonly endpoint: string;
  /** `PIPELINE_*` settings for synth; remote-state settings are dropped. */
  readonly settingsEnv: NodeJS.ProcessEnv;
  /** @default a fresh directory under the OS temp dir */
  readonly workDir?: string;
  /** Progress lines for the user (synth, init, apply). */
  readonly progress?: (line: string) => void;
  /** Aborting interrupts terraform. */
  readonly signal?: AbortSignal;
  /** @default the processors of pipeline.config.ts, as `cdktf synth` reads them */
  readonly processors?: ProcessorCatalog;
}

/**
 * Synthesizes the product's stack exactly as `cdktf synth` does, adds the local-only override (fake
 * credentials, emulator endpoints) next to it, and applies it to the emulator with terraform.
 * A failed init or apply rejects with Terraform's own error output.
 */
export async function deployStack(options: DeployOptions): Promise<Deployment> {
  for (const bundle of [path.join(ORCHESTRATOR_CODE_DIR, 'index.js'), WORKER_BUNDLE_PATH]) {
    if (!existsSync(bundle)) throw new Error(`${path.relative(REPO_ROOT, bundle)} is missing: run "npm run build" first.`);
  }
  const progress = options.progress ?? (() => undefined);
  const outdir = options.workDir ?? mkdtempSync(path.join(os.tmpdir(), 'rag-local-'));

  progress('synthesizing the stack');
  const stackDir = synthesize(outdir, localSettingsEnv(options.settingsEnv, outdir), options.processors);
  writeOfflineOverride(stackDir, { endpoint: options.endpoint });

  progress('terraform init');
  await terraform(stackDir, ['init', '-input=false', '-no-color'], {}, options.signal);
  progress('terraform apply (about a minute and a half on the emulator)');
  await terraform(stackDir, ['apply', '-auto-approve', '-input=false', '-no-color'], {}, options.signal);

  const outputs = parseOutputs((await terraform(stackDir, ['output', '-json'])).stdout);
  const pipes = deployedPipes((await terraform(stackDir, ['show', '-json', '-no-color'])).stdout);
  return { stackDir, outputs, pipes };
}

/**
 * The synth environment for a local run: the shell's PIPELINE_* settings, with the state in the run's own
 * directory (never a remote backend, never the project's default local state file).
 */
export function localSettingsEnv(env: NodeJS.ProcessEnv, workDir: string): NodeJS.ProcessEnv {
  const settings = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('PIPELINE_')));
  for (const name of STATE_SETTINGS) delete settings[name];
  return { ...settings, [SettingName.statePath]: path.join(workDir, 'terraform.tfstate') };
}

/**
 * `new App({outdir})` + the stack + synth: the same Terraform JSON as `npm run synth` (with the processors of
 * pipeline.config.ts unless given, its capacity with the PIPELINE_* overrides of `settingsEnv`, and its worker setup
 * script). Returns the stack dir.
 */
export function synthesize(
  outdir: string,
  settingsEnv: NodeJS.ProcessEnv,
  processors: ProcessorCatalog = loadProcessorCatalog(pipelineConfig, settingsEnv),
): string {
  const app = new App({ outdir });
  const settings = loadSettings(settingsEnv);
  const capacity = loadCapacity(pipelineConfig.capacity, settingsEnv, settings.region);
  const setup = loadWorkerSetup(pipelineConfig, REPO_ROOT);
  new PipelineStack(app, STACK_NAME, settings, { processors, capacity, setup });
  app.synth();
  return path.join(outdir, 'stacks', STACK_NAME);
}


/** `terraform output -json` → `{name: value}`. */
export function parseOutputs(json: string): Record<string, unknown> {
  const raw = JSON.parse(json) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(raw).map(([name, output]) => [name, output.value]));
}

interface StateResource {
  readonly type: string;
  readonly address: string;
  readonly values: Record<string, unknown>;
}
interface StateModule {
  readonly resources?: StateResource[];
  readonly child_modules?: StateModule[];
}

interface PipeValues {
  name?: string;
  source?: string;
  target?: string;
  source_parameters?: {
    filter_criteria?: { filter?: { pattern?: string }[] }[];
    dynamodb_stream_parameters?: { batch_size?: number }[];
  }[];
  target_parameters?: {
    input_template?: string;
    eventbridge_event_bus_parameters?: { source?: string; detail_type?: string; resources?: string[] }[];
  }[];
}

/** Every aws_pipes_pipe in `terraform show -json`: source, target, filter, batch size, template, event fields. */
export function deployedPipes(showJson: string): DeployedPipe[] {
  const state = JSON.parse(showJson) as { values?: { root_module?: StateModule } };
  const pipes = allResources(state.values?.root_module).filter((resource) => resource.type === 'aws_pipes_pipe');
  if (pipes.length === 0) throw new Error('no aws_pipes_pipe in the state');
  return pipes.map(({ address, values: raw }) => {
    const values = raw as PipeValues;
    const sourceParameters = values.source_parameters?.[0];
    const filters = sourceParameters?.filter_criteria?.[0]?.filter ?? [];
    if (!values.name || !values.source || !values.target) throw new Error(`${address} has no name, source or target in the state`);
    if (filters.length === 0) throw new Error(`${address} has no filter: the local pipe would forward every record`);
    const targetParameters = values.target_parameters?.[0];
    const bus = targetParameters?.eventbridge_event_bus_parameters?.[0];
    return {
      name: values.name,
      sourceArn: values.source,
      targetArn: values.target,
      filterPatterns: filters.map((filter) => JSON.parse(filter.pattern ?? '{}') as Pattern),
      batchSize: Math.min(10, sourceParameters?.dynamodb_stream_parameters?.[0]?.batch_size ?? 10),
      ...(targetParameters?.input_template ? { inputTemplate: targetParameters.input_template } : {}),
      ...(bus ? { eventBus: { source: bus.source ?? '', detailType: bus.detail_type ?? '', resources: bus.resources ?? [] } } : {}),
    };
  });
}

function allResources(module: StateModule | undefined): StateResource[] {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(allResources)];
}
