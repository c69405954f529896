import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { NODE_RUNTIME, NODE_RUNTIME_KEY, nodeRuntimeSha512Hex, WORKER_LOG_PATH } from '../../../contracts';
import {
  MAX_USER_DATA_BYTES,
  parseWorkerEnvironment,
  renderUserData,
  UserDataError,
  type UserDataParams,
} from '../../../runtime/bootstrap/user-data';

const params: UserDataParams = {
  region: 'us-east-1',
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/rag-pipeline-dev-work',
  tableName: 'rag-pipeline-dev-items',
  bucketName: 'rag-pipeline-dev-bucket',
  workerCodeKey: 'worker/worker.js',
  autoterminateMinutes: 2.5,
  concurrency: 4,
  visibilityTimeoutSeconds: 300,
  maxReceiveCount: 5,
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'user-data-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeScript(name: string, script: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, script);
  return file;
}

/** Runs the export lines of a rendered script in bash and returns what bash holds for the given names. */
function bashValues(script: string, names: string[]): Record<string, string> {
  const exports = script.split('\n').filter((line) => line.startsWith('export '));
  const program = [...exports, `node -e 'const n=process.argv.slice(1);process.stdout.write(JSON.stringify(Object.fromEntries(n.map(k=>[k,process.env[k]]))))' ${names.join(' ')}`].join('\n');
  // stdin not a socket: Debian's bash would otherwise take itself for an ssh session and read ~/.bashrc.
  const result = spawnSync('bash', ['-c', program], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('renderUserData', () => {
  it('renders a bash script that passes bash -n', () => {
    const file = writeScript('syntax.sh', renderUserData(params));
    const result = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('renders a script that passes shellcheck', () => {
    const file = writeScript('lint.sh', renderUserData({ ...params, queueUrl: "https://example.com/it's" }));
    const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('starts with a bash shebang, fails fast, and a failed boot powers off', () => {
    const script = renderUserData(params);
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines).toContain('set -euo pipefail');
    expect(lines).toContain('  trap finish_boot EXIT');
    expect(script).toMatch(/finish_boot\(\) \{[^}]*shutdown -h now/);
    expect(script).not.toMatch(/^\s*halt\b/m);
  });

  it('installs the pinned Node.js 22 runtime from the bucket and verifies its SHA-512 before unpacking it', () => {
    const script = renderUserData(params);
    expect(NODE_RUNTIME.version).toMatch(/^22\.\d+\.\d+$/);
    expect(script).toContain(`readonly NODE_RUNTIME_KEY='${NODE_RUNTIME_KEY}'`);
    expect(script).toContain(`readonly NODE_RUNTIME_SHA512='${nodeRuntimeSha512Hex()}'`);
    expect(script).not.toContain('nodejs.org');
    expect(script.indexOf('sha512sum --check')).toBeGreaterThan(-1);
    expect(script.indexOf('sha512sum --check')).toBeLessThan(script.indexOf('tar -xzf'));
  });

  it('renders the pinned integrity as the hex digest sha512sum prints', () => {
    const data = Buffer.from('any archive');
    const integrity = `sha512-${createHash('sha512').update(data).digest('base64')}`;
    expect(nodeRuntimeSha512Hex(integrity)).toBe(createHash('sha512').update(data).digest('hex'));
    expect(nodeRuntimeSha512Hex()).toMatch(/^[0-9a-f]{128}$/);
    expect(() => nodeRuntimeSha512Hex('sha256-abc')).toThrow('NODE_RUNTIME.integrity must be an SRI sha512 value ("sha512-<base64>"), got "sha256-abc"');
  });

  it('exports the worker environment under the contract names', () => {
    expect(parseWorkerEnvironment(renderUserData(params))).toStrictEqual({
      AWS_REGION: 'us-east-1',
      SQS_QUEUE_URL: params.queueUrl,
      DYNAMODB_TABLE_NAME: 'rag-pipeline-dev-items',
      S3_BUCKET_NAME: 'rag-pipeline-dev-bucket',
      WORKER_CODE_S3_KEY: 'worker/worker.js',
      EC2_AUTOTERMINATE_MINUTES: '2.5',
      WORKER_CONCURRENCY: '4',
      SQS_VISIBILITY_TIMEOUT_SECONDS: '300',
      SQS_MAX_RECEIVE_COUNT: '5',
      WORKER_LOG_PATH,
    });
  });

  it('passes the processor catalog key on, when there is a catalog', () => {
    expect(parseWorkerEnvironment(renderUserData({ ...params, processorCatalogKey: 'worker/processors.json' }))).toMatchObject({
      WORKER_PROCESSOR_CATALOG_KEY: 'worker/processors.json',
    });
    expect(Object.keys(parseWorkerEnvironment(renderUserData(params)))).not.toContain('WORKER_PROCESSOR_CATALOG_KEY');
  });

  it('passes the setup script key and timeout on, only when one is configured', () => {
    expect(parseWorkerEnvironment(renderUserData({ ...params, setup: { key: 'worker/setup', timeoutSeconds: 900 } }))).toMatchObject({
      WORKER_SETUP_S3_KEY: 'worker/setup',
      WORKER_SETUP_TIMEOUT_SECONDS: '900',
    });
    expect(Object.keys(parseWorkerEnvironment(renderUserData(params)))).not.toContain('WORKER_SETUP_S3_KEY');
  });

  it('leaves out the optional values that are not given, so the worker uses its defaults', () => {
    const environment = parseWorkerEnvironment(
      renderUserData({ ...params, concurrency: undefined, visibilityTimeoutSeconds: undefined, maxReceiveCount: undefined }),
    );
    expect(Object.keys(environment)).not.toContain('SQS_MAX_RECEIVE_COUNT');
    expect(Object.keys(environment)).not.toContain('WORKER_CONCURRENCY');
    expect(Object.keys(environment)).not.toContain('SQS_VISIBILITY_TIMEOUT_SECONDS');
    expect(Object.keys(environment)).not.toContain('S3_MULTIPART_THRESHOLD_BYTES');
  });

  it('carries no credentials', () => {
    const script = renderUserData(params);
    expect(script).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(Object.keys(parseWorkerEnvironment(script))).not.toEqual(
      expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']),
    );
  });

  it('stays under the EC2 user data limit', () => {
    expect(Buffer.byteLength(renderUserData(params))).toBeLessThan(MAX_USER_DATA_BYTES);
    const everything = { ...params, processorCatalogKey: 'worker/processors.json', setup: { key: 'worker/setup', timeoutSeconds: 3600 } };
    expect(Buffer.byteLength(renderUserData(everything))).toBeLessThan(MAX_USER_DATA_BYTES);
  });

  it.each([
    { case: 'a single quote', value: "it's" },
    { case: 'several quotes in a row', value: "'''" },
    { case: 'shell expansions', value: '$(touch /tmp/pwned) `id` ${HOME} $HOME' },
    { case: 'double quotes and backslashes', value: 'say "hi" \\n \\\\' },
    { case: 'globs and separators', value: '* ? [a] ; & | > < #' },
    { case: 'unicode', value: 'zoë/日本語' },
    { case: 'an empty-looking value of spaces', value: '   ' },
  ])('round-trips $case through bash and parseWorkerEnvironment unchanged', ({ value }) => {
    const script = renderUserData({ ...params, tableName: value });
    expect(parseWorkerEnvironment(script).DYNAMODB_TABLE_NAME).toBe(value);
    expect(bashValues(script, ['DYNAMODB_TABLE_NAME'])).toStrictEqual({ DYNAMODB_TABLE_NAME: value });
    const file = writeScript('escaped.sh', script);
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    expect(spawnSync('shellcheck', [file], { encoding: 'utf8' }).stdout).toBe('');
  });

  it.each([
    { case: 'a newline', value: 'a\nexport AWS_SECRET_ACCESS_KEY=x' },
    { case: 'a carriage return', value: 'a\rb' },
    { case: 'a NUL byte', value: 'a\u0000b' },
  ])('refuses a value with $case, naming the variable', ({ value }) => {
    expect(() => renderUserData({ ...params, queueUrl: value })).toThrow(UserDataError);
    expect(() => renderUserData({ ...params, queueUrl: value })).toThrow(
      `SQS_QUEUE_URL must not contain control characters such as newlines, got ${JSON.stringify(value)}`,
    );
  });

  it('refuses a script above the EC2 user data limit', () => {
    expect(() => renderUserData({ ...params, queueUrl: 'x'.repeat(MAX_USER_DATA_BYTES) })).toThrow(
      /the rendered user data is \d+ bytes, above EC2's limit of 16384/,
    );
  });
});

describe('parseWorkerEnvironment', () => {
  it('reads only literal single-quoted exports', () => {
    const script = [
      "export A='1'",
      'export B="2"',
      'export C=$(id)',
      "  export D='indented'",
      "export E='x'\\''y'",
      "echo export F='no'",
      "export G=''",
    ].join('\n');
    expect(parseWorkerEnvironment(script)).toStrictEqual({ A: '1', E: "x'y", G: '' });
  });
});
