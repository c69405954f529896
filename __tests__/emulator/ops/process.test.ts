import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ItemStatus } from '../../../contracts';
import { startEmulator, type Emulator } from '../../../local/emulator';
import type { OpsClients } from '../../../ops/clients';
import { createResources, emulatorClients, outputsFileText, runProcess, type Resources } from './ops-fixture';

// `npx pipeline` as users run it: bin/pipeline.js in a child process, judged by exit code and output.
jest.setTimeout(60_000);

let emulator: Emulator;
let clients: OpsClients;
let resources: Resources;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator();
  clients = emulatorClients(emulator.endpoint);
});

afterAll(async () => {
  clients?.s3.destroy();
  clients?.documents.destroy();
  clients?.sqs.destroy();
  await emulator?.stop();
});

beforeEach(async () => {
  await emulator.reset();
  resources = await createResources(emulator.endpoint, clients);
  dir = mkdtempSync(path.join(tmpdir(), 'ops-process-'));
  writeFileSync(path.join(dir, 'stack.json'), outputsFileText(resources));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const pipeline = (...args: string[]) => runProcess(['--outputs', 'stack.json', '--endpoint-url', emulator.endpoint, ...args], dir);

it('submits a file and reports it in status, exiting 0', async () => {
  writeFileSync(path.join(dir, 'doc.txt'), 'hello');

  const submitted = await pipeline('submit', 'doc.txt');
  const status = await pipeline('status');

  expect(submitted.code).toBe(0);
  expect(submitted.stdout).toMatch(new RegExp(`^PENDING [0-9a-f-]{36} s3://${resources.bucketName}/data/input/doc.txt\n`));
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`^${ItemStatus.PENDING} +1$`, 'm'));
});

it('exits 1 naming the missing outputs file', async () => {
  const result = await runProcess(['status'], dir);

  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`pipeline: no outputs file at ${path.join(dir, 'outputs.json')}`);
});

it('exits 1 naming a path outside data/input/, and writes no row', async () => {
  const outside = `s3://${resources.bucketName}/data/output/x.txt`;

  const result = await pipeline('submit', outside);

  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`${outside}: s3_path must be under s3://${resources.bucketName}/data/input/`);
  expect((await clients.documents.send(new ScanCommand({ TableName: resources.tableName }))).Items).toEqual([]);
});

it('exits 1 naming an unknown id', async () => {
  const result = await pipeline('retry', 'no-such-id');

  expect(result.code).toBe(1);
  expect(result.stderr).toBe(`pipeline: no row with id "no-such-id" in table ${resources.tableName}\n`);
});

it('exits 1 on a usage error caught by the parser', async () => {
  const result = await pipeline('submit');

  expect(result.code).toBe(1);
  expect(result.stderr).toContain("error: missing required argument 'paths'");
});
