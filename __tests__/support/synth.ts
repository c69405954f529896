import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { loadCapacity, type CapacityDeclaration } from '../../config/capacity';
import { loadSettings } from '../../config/settings';
import { resolveCatalog } from '../../runtime/processors/catalog';
import type { WorkerSetup } from '../../config/worker-setup';
import type { ProcessorCatalog } from '../../contracts';
import { REPO_ROOT } from '../../local/emulator/paths';
import { terraform, writeOfflineOverride } from '../../local/emulator/terraform';
import { PipelineStack, STACK_NAME } from '../../main';

/** Synthesized Terraform JSON: `{ resource: { <type>: { <id>: {...} } }, output: {...}, ... }`. */
export interface TerraformJson {
  readonly terraform: Record<string, unknown>;
  readonly provider: Record<string, unknown[]>;
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown }>;
}

/**
 * Settings that switch on every optional resource: alarm topic + key, key pair, SSH rule, a pinned AMI, the
 * pipeline's own event bus and the outcome queue.
 */
export const EVERY_OPTIONAL_FEATURE: NodeJS.ProcessEnv = {
  PIPELINE_EVENT_BUS: 'pipeline',
  PIPELINE_EVENTS_QUEUE: 'true',
  PIPELINE_ALARM_EMAIL: 'ops@example.com',
  PIPELINE_SSH_CIDR: '203.0.113.7/32',
  PIPELINE_SSH_PUBLIC_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test',
  PIPELINE_AMI_ID: 'ami-0123456789abcdef0',
};

/**
 * With EVERY_OPTIONAL_FEATURE: a command processor beside copy, so the gates see its grants (the catalog, the
 * listing and deletion under data/output/). Its setup script: everyOptionalSetup().
 */
export const EVERY_OPTIONAL_PROCESSOR: ProcessorCatalog = resolveCatalog({
  processors: { text: { type: 'command', command: ['pdftotext', '{input}', '{output_dir}/{input_name}.txt'] } },
});

/** A worker setup script for the gates (the worked example's). */
export function everyOptionalSetup(): WorkerSetup {
  return { scriptPath: path.join(REPO_ROOT, 'examples', 'pdf-text', 'setup.sh'), timeoutSeconds: 900 };
}

export interface SynthesizedStack {
  /** The stack object, for what only the constructs know (e.g. the policies' registered statements). */
  readonly stack: PipelineStack;
  /** The app's outdir (a fresh temp directory). */
  readonly outdir: string;
  /** `<outdir>/stacks/rag-pipeline`: cdk.tf.json and the assets. */
  readonly stackDir: string;
  readonly json: TerraformJson;
}

/** What pipeline.config.ts would configure, for {@link synthStack}. */
export interface SynthOptions {
  /** @default only `copy` */
  readonly processors?: ProcessorCatalog;
  /** As declared in pipeline.config.ts; the settings' capacity variables apply over it. @default the defaults */
  readonly capacity?: CapacityDeclaration;
  /** @default none */
  readonly setup?: WorkerSetup;
}

/**
 * Synthesizes the whole stack exactly as `cdktf synth` does, into a temp directory, from `PIPELINE_*`
 * settings and what pipeline.config.ts would configure ({@link SynthOptions}). The local state file goes into that directory too, never the
 * working tree. Needs the built bundles (`npm run build`).
 */
export function synthStack(settingsEnv: NodeJS.ProcessEnv = {}, options: SynthOptions = {}): SynthesizedStack {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'rag-stack-'));
  synthesizedDirs.push(outdir);
  const settings = loadSettings({ PIPELINE_STATE_PATH: path.join(outdir, 'terraform.tfstate'), ...settingsEnv });
  const app = new App({ outdir });
  const capacity = loadCapacity(options.capacity, settingsEnv, settings.region);
  const stack = new PipelineStack(app, STACK_NAME, settings, { processors: options.processors, capacity, setup: options.setup });
  app.synth();
  const stackDir = path.join(outdir, 'stacks', STACK_NAME);
  return { stack, outdir, stackDir, json: JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson };
}

const synthesizedDirs: string[] = [];

/** Deletes every directory {@link synthStack} created in this test file; call it in `afterAll`. */
export function removeSynthesizedStacks(): void {
  for (const dir of synthesizedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** What `terraform validate` and `terraform plan` said about one configuration of the whole stack, offline. */
export interface OfflinePlan {
  /** `terraform validate -json`. */
  readonly validate: { readonly valid: boolean; readonly error_count: number; readonly warning_count: number };
  /** `terraform show -json <planfile>`: what checkov reads, and the plan suite's resource changes and configuration. */
  readonly planJsonFile: string;
}

/**
 * Environment variable naming this jest run's plan cache (set by __tests__/global-setup.js, removed by
 * global-teardown.js). Outside jest, each process plans for itself.
 */
export const PLAN_CACHE_ENV = 'RAG_TEST_PLAN_CACHE';
/** Where the global setup puts each jest run's plan cache: git-ignored, like every node_modules/.cache. */
export const PLAN_CACHE_ROOT = path.join(REPO_ROOT, 'node_modules', '.cache', 'rag-terraform-plans');
const PLAN_TIMEOUT_MS = 240_000;

/**
 * `terraform init`, `validate` and `plan` of `stack`, offline, made once per jest run for each distinct
 * synthesized configuration and shared by every suite that asks for the same one (the plan suite, the
 * checkov gate). The key is the synthesized JSON with the stack's own temp directory masked, so the same
 * settings and the same bundles give the same plan, and any change to either gives a new one. The first
 * suite to ask plans, under a lock directory; the others wait for its result, or its error.
 */
export async function offlinePlan(stack: SynthesizedStack): Promise<OfflinePlan> {
  const raw = readFileSync(path.join(stack.stackDir, 'cdk.tf.json'), 'utf8');
  const key = createHash('sha256').update(raw.replaceAll(stack.outdir, '<outdir>')).digest('hex').slice(0, 16);
  const root = process.env[PLAN_CACHE_ENV] ?? path.join(stack.outdir, 'plan-cache');
  const dir = path.join(root, key);
  const result = path.join(dir, 'result.json');
  const failure = path.join(dir, 'error.txt');
  mkdirSync(root, { recursive: true });
  let owner = true;
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    owner = false;
  }
  if (owner) {
    try {
      writeOfflineOverride(stack.stackDir);
      await terraform(stack.stackDir, ['init', '-input=false', '-no-color']);
      const validate = JSON.parse((await terraform(stack.stackDir, ['validate', '-json', '-no-color'])).stdout) as OfflinePlan['validate'];
      const planFile = path.join(dir, 'stack.tfplan');
      await terraform(stack.stackDir, ['plan', '-input=false', '-no-color', '-lock=false', `-out=${planFile}`]);
      const planJsonFile = path.join(dir, 'plan.json');
      writeFileSync(planJsonFile, (await terraform(stack.stackDir, ['show', '-json', '-no-color', planFile])).stdout);
      // Written whole, then renamed: a waiting suite never reads half a result.
      writeFileSync(`${result}.partial`, JSON.stringify({ validate, planJsonFile } satisfies OfflinePlan));
      renameSync(`${result}.partial`, result);
    } catch (error) {
      writeFileSync(failure, (error as Error).message);
      throw error;
    }
  }
  const deadline = Date.now() + PLAN_TIMEOUT_MS;
  for (;;) {
    if (existsSync(result)) return JSON.parse(readFileSync(result, 'utf8')) as OfflinePlan;
    if (existsSync(failure)) throw new Error(`the shared plan of this configuration failed in another suite: ${readFileSync(failure, 'utf8')}`);
    if (Date.now() >= deadline) throw new Error(`no plan in ${dir} after ${PLAN_TIMEOUT_MS / 1000} s: the suite planning it did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The resources of one type, as `[id, config]` pairs. */
export function resourcesOf(json: TerraformJson, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(json.resource[type] ?? {});
}

/** The one resource of a type (optionally the one matching `where`); fails loudly when it is not exactly one. */
export function onlyResource(
  json: TerraformJson,
  type: string,
  where: (config: Record<string, unknown>) => boolean = () => true,
): { id: string; config: Record<string, unknown> } {
  const matches = resourcesOf(json, type).filter(([, config]) => where(config));
  if (matches.length !== 1) throw new Error(`expected one ${type}, found ${matches.length}`);
  const [id, config] = matches[0];
  return { id, config };
}

/** The Terraform reference to an attribute of the one matching resource: `${aws_sqs_queue.<id>.arn}`. */
export function refTo(
  json: TerraformJson,
  type: string,
  attribute: string,
  where?: (config: Record<string, unknown>) => boolean,
): string {
  return `\${${type}.${onlyResource(json, type, where).id}.${attribute}}`;
}

export interface ParsedStatement {
  Sid: string;
  Effect: string;
  Principal?: unknown;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Decodes a JSON document attribute as synthesized: plain JSON (`assume_role_policy`) or Terraform's
 * `${jsonencode({...})}` (policies and the redrive policy, which hold references). References come back in
 * `refTo` form (`${aws_sqs_queue.<id>.arn}`); strings mixing text and expressions keep them verbatim.
 */
export function decodeJsonAttribute(value: unknown): unknown {
  if (typeof value !== 'string') throw new Error(`expected a JSON document string, got ${typeof value}`);
  const encoded = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(value);
  return JSON.parse(encoded ? hclObjectToJson(encoded[1]) : value);
}

/**
 * Turns the HCL object syntax cdktf writes inside `jsonencode(...)` into JSON: `"key" = value` becomes
 * `"key": value`, a bare reference becomes the string `"${reference}"`, and every string literal is
 * re-encoded (its `${...}` expressions may hold quotes JSON does not allow).
 */
function hclObjectToJson(hcl: string): string {
  let json = '';
  let at = 0;
  while (at < hcl.length) {
    const char = hcl[at];
    if (char === '"') {
      let end = at + 1;
      let literal = '';
      let depth = 0;
      while (end < hcl.length && !(depth === 0 && hcl[end] === '"')) {
        if (hcl[end] === '\\' && depth === 0) {
          literal += hcl[end + 1];
          end += 2;
          continue;
        }
        if (hcl.startsWith('${', end)) depth++;
        else if (depth > 0 && hcl[end] === '}') depth--;
        literal += hcl[end++];
      }
      json += JSON.stringify(literal);
      at = end + 1;
    } else if (hcl.startsWith(' = ', at)) {
      json += ': ';
      at += 3;
    } else if (/[A-Za-z_]/.test(char)) {
      const reference = /^[A-Za-z_][\w.-]*/.exec(hcl.slice(at))![0];
      // A function call (`element(split(":", aws_sqs_queue.x.arn), 4)`) runs to its closing parenthesis.
      const expression = hcl[at + reference.length] === '(' ? reference + balancedCall(hcl, at + reference.length) : reference;
      json += ['true', 'false', 'null'].includes(expression) ? expression : JSON.stringify(`\${${expression}}`);
      at += expression.length;
    } else {
      json += char;
      at++;
    }
  }
  return json;
}

/** `(…)` from `start` to its matching parenthesis, skipping parentheses inside string literals. */
function balancedCall(hcl: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let at = start; at < hcl.length; at++) {
    const char = hcl[at];
    if (inString) {
      if (char === '\\') at++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return hcl.slice(start, at + 1);
  }
  throw new Error(`unbalanced parentheses in ${hcl.slice(start)}`);
}

/** Parses an IAM policy document attribute (a role policy, a bucket or key policy) into its statements. */
export function statementsOf(policy: unknown): ParsedStatement[] {
  return (decodeJsonAttribute(policy) as { Statement: ParsedStatement[] }).Statement;
}

/** Synthesizes constructs in a test stack and parses the result. */
export function parseSynth(synthesized: string): TerraformJson {
  return JSON.parse(synthesized) as TerraformJson;
}
