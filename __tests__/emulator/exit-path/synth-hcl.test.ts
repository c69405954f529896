import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { loadSettings } from '../../../config/settings';
import { StackOutput } from '../../../contracts/outputs';
import { REPO_ROOT } from '../../../local/emulator/paths';
import { terraform, writeOfflineOverride } from '../../../local/emulator/terraform';
import { PipelineStack, STACK_NAME, WORKER_BUNDLE_PATH } from '../../../main';

// The exit path off CDKTF: `cdktf synth --hcl` writes plain Terraform that Terraform accepts on its own,
// with the same resource addresses as the JSON synth, so existing state carries over unchanged.
jest.setTimeout(300_000);

const CDKTF = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdktf');

/**
 * Default settings with a local backend whose state file lives in `dir`: no PIPELINE_* variable from the
 * caller's shell leaks in, and no state left in the working tree by another run is ever read (a plan
 * would refresh it against AWS).
 */
function synthEnvironment(dir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PIPELINE_')));
  return { ...env, CI: '1', CHECKPOINT_DISABLE: '1', FORCE_COLOR: '0', PIPELINE_STATE_PATH: path.join(dir, 'terraform.tfstate') };
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

/** `resource "<type>" "<name>"` and `data "<type>" "<name>"` addresses of an HCL file. */
function hclAddresses(hcl: string): string[] {
  return [...hcl.matchAll(/^(resource|data) "([^"]+)" "([^"]+)"/gm)]
    .map(([, kind, type, name]) => (kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`))
    .sort();
}

interface TerraformJson {
  readonly resource?: Record<string, object>;
  readonly data?: Record<string, object>;
  readonly output?: Record<string, object>;
}

function jsonAddresses(config: TerraformJson): string[] {
  const addresses = (blocks: Record<string, object> | undefined, prefix: string) =>
    Object.entries(blocks ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${prefix}${type}.${name}`));
  return [...addresses(config.resource, ''), ...addresses(config.data, 'data.')].sort();
}

describe('cdktf synth --hcl', () => {
  let outdir: string;
  let stackDir: string;
  let jsonOutdir: string;
  /** The JSON synth of the same stack and settings: what `cdktf deploy` applies. */
  let json: TerraformJson;

  beforeAll(async () => {
    if (!existsSync(WORKER_BUNDLE_PATH)) throw new Error(`${WORKER_BUNDLE_PATH} is missing: run "npm run build" first (npm test does).`);
    outdir = mkdtempSync(path.join(tmpdir(), 'synth-hcl-'));
    stackDir = path.join(outdir, 'stacks', STACK_NAME);
    await run(CDKTF, ['synth', '--hcl', '--output', outdir], REPO_ROOT, synthEnvironment(outdir));
    jsonOutdir = mkdtempSync(path.join(tmpdir(), 'synth-json-'));
    const app = new App({ outdir: jsonOutdir });
    new PipelineStack(app, STACK_NAME, loadSettings(synthEnvironment(jsonOutdir)));
    app.synth();
    json = JSON.parse(readFileSync(path.join(jsonOutdir, 'stacks', STACK_NAME, 'cdk.tf.json'), 'utf8'));
  });

  afterAll(() => {
    for (const dir of [outdir, jsonOutdir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes HCL (cdk.tf), not JSON', () => {
    expect(existsSync(path.join(stackDir, 'cdk.tf'))).toBe(true);
    expect(existsSync(path.join(stackDir, 'cdk.tf.json'))).toBe(false);
  });

  it('passes terraform init and validate with no CDKTF involved', async () => {
    writeOfflineOverride(stackDir);
    await terraform(stackDir, ['init', '-input=false', '-no-color']);

    const result = await terraform(stackDir, ['validate', '-no-color']);

    expect(result.stdout).toContain('Success! The configuration is valid');
  });

  it('plans offline to create every resource of the JSON synth', async () => {
    const managed = jsonAddresses({ resource: json.resource }).length;

    const plan = await terraform(stackDir, ['plan', '-input=false', '-no-color', '-lock=false']);

    expect(plan.stdout).toContain(`Plan: ${managed} to add, 0 to change, 0 to destroy.`);
  });

  it('keeps every resource address of the JSON synth, so the state maps one to one', () => {
    const hcl = hclAddresses(readFileSync(path.join(stackDir, 'cdk.tf'), 'utf8'));

    expect(hcl.length).toBeGreaterThan(0);
    expect(hcl).toEqual(jsonAddresses(json));
  });

  it('outputs every name the ops CLI reads from the outputs file', () => {
    // Left out by the default settings: the outcome queue (PIPELINE_EVENTS_QUEUE) and the alarm topic
    // (PIPELINE_ALARM_EMAIL); __tests__/unit/contracts/stack-contracts.test.ts turns them on.
    const off: readonly string[] = [StackOutput.eventsQueueUrl, StackOutput.eventsDlqUrl, StackOutput.alarmTopicArn];
    const always = Object.values(StackOutput).filter((name) => !off.includes(name));

    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining(always));
  });
});
