import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EMULATOR_CREDENTIALS } from './moto';
import { TERRAFORM_CLI_CONFIG } from './paths';

/** Services the stack uses, as hashicorp/aws 5.x `endpoints {}` keys. */
const PROVIDER_ENDPOINT_KEYS = [
  'cloudwatch', 'cloudwatchlogs', 'dynamodb', 'ec2', 'events', 'iam', 'kms', 'lambda',
  'pipes', 's3', 'sns', 'sqs', 'ssm', 'sts',
] as const;

/** Name of the override file Terraform merges with cdk.tf.json; git-ignored (`*_override.tf.json`). */
export const OFFLINE_OVERRIDE_FILE = 'offline_override.tf.json';

export interface OfflineOverrideOptions {
  /** When set, every AWS endpoint points here (the emulator); otherwise only credentials and skip flags. */
  readonly endpoint?: string;
}

/**
 * Writes a test/local-only override next to cdk.tf.json: fake credentials, the provider's skip flags,
 * and optionally emulator endpoints. The product's synthesized JSON is left untouched.
 */
export function writeOfflineOverride(stackDir: string, options: OfflineOverrideOptions = {}): string {
  const provider: Record<string, unknown> = {
    access_key: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
    secret_key: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
  };
  if (options.endpoint) {
    provider.s3_use_path_style = true;
    provider.endpoints = [Object.fromEntries(PROVIDER_ENDPOINT_KEYS.map((key) => [key, options.endpoint]))];
  }
  const file = path.join(stackDir, OFFLINE_OVERRIDE_FILE);
  writeFileSync(file, JSON.stringify({ provider: { aws: [provider] } }, null, 2));
  return file;
}

/** Environment for terraform: the project's provider mirror, no prompts, no checkpoint calls. */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (!existsSync(TERRAFORM_CLI_CONFIG)) {
    throw new Error('the Terraform provider mirror is not configured: run "bash scripts/setup-tools.sh" (npm test runs it).');
  }
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: TERRAFORM_CLI_CONFIG,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    ...extra,
  };
}

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `terraform <args>` in `cwd`; rejects with Terraform's own error output when it fails.
 * An aborted `signal` interrupts terraform (SIGINT, so it releases its state lock) and rejects.
 */
export function terraform(
  cwd: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
  signal?: AbortSignal,
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args], {
      cwd,
      env: terraformEnv(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      killSignal: 'SIGINT',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      if (error.name === 'AbortError') reject(new Error(`terraform ${args[0]} was interrupted`));
      else reject(new Error(`terraform could not be started (${error.message}): install Terraform >= 1.10 and put it on PATH.`));
    });
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (result.code === 0) resolve(result);
      else reject(new Error(`terraform ${args[0]} failed (exit ${result.code}):\n${stderr || stdout}`));
    });
  });
}
