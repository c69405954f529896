import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { loadSettings } from '../../config/settings';
import { PipelineStack, STACK_NAME } from '../../main';

/** Synthesized Terraform JSON: `{ resource: { <type>: { <id>: {...} } }, output: {...}, ... }`. */
export interface TerraformJson {
  readonly terraform: Record<string, unknown>;
  readonly provider: Record<string, unknown[]>;
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown }>;
}

export interface SynthesizedStack {
  /** The app's outdir (a fresh temp directory). */
  readonly outdir: string;
  /** `<outdir>/stacks/rag-pipeline`: cdk.tf.json and the assets. */
  readonly stackDir: string;
  readonly json: TerraformJson;
}

/**
 * Synthesizes the whole stack exactly as `cdktf synth` does, into a temp directory, from `PIPELINE_*`
 * settings. The local state file goes into that directory too, never the working tree. Needs the built
 * bundles (`npm run build`).
 */
export function synthStack(settingsEnv: NodeJS.ProcessEnv = {}): SynthesizedStack {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'rag-stack-'));
  synthesizedDirs.push(outdir);
  const settings = loadSettings({ PIPELINE_STATE_PATH: path.join(outdir, 'terraform.tfstate'), ...settingsEnv });
  const app = new App({ outdir });
  new PipelineStack(app, STACK_NAME, settings);
  app.synth();
  const stackDir = path.join(outdir, 'stacks', STACK_NAME);
  return { outdir, stackDir, json: JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson };
}

const synthesizedDirs: string[] = [];

/** Deletes every directory {@link synthStack} created in this test file; call it in `afterAll`. */
export function removeSynthesizedStacks(): void {
  for (const dir of synthesizedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
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
 * Parses an IAM policy document string (a role policy, a bucket policy) into its statements. Terraform
 * expressions inside it (`${element(split(":", …), 4)}`) may hold quotes that are only valid once Terraform
 * evaluates them, so they are set aside while parsing and put back verbatim.
 */
export function statementsOf(policy: unknown): ParsedStatement[] {
  if (typeof policy !== 'string') throw new Error(`expected a policy document string, got ${typeof policy}`);
  const expressions: string[] = [];
  const placeholder = (index: number) => `@@terraform${index}@@`;
  let text = '';
  for (let at = 0; at < policy.length; ) {
    if (!policy.startsWith('${', at)) {
      text += policy[at++];
      continue;
    }
    let depth = 0;
    let end = at + 1;
    do {
      if (policy[end] === '{') depth++;
      else if (policy[end] === '}') depth--;
      end++;
    } while (depth > 0 && end < policy.length);
    text += placeholder(expressions.push(policy.slice(at, end)) - 1);
    at = end;
  }
  const restored = text.replace(/@@terraform(\d+)@@/g, (_, index: string) => JSON.stringify(expressions[Number(index)]).slice(1, -1));
  return (JSON.parse(restored) as { Statement: ParsedStatement[] }).Statement;
}

/** Synthesizes constructs in a test stack and parses the result. */
export function parseSynth(synthesized: string): TerraformJson {
  return JSON.parse(synthesized) as TerraformJson;
}
