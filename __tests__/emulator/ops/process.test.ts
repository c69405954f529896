import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ItemStatus } from '../../../contracts';
import { runProcess, useOpsEmulator } from './ops-fixture';

// `npx pipeline` as users run it: bin/pipeline.js in a child process, judged by exit code and output.
// A deadline against hangs, with room for a loaded machine: a test took up to 30 s under the flake hunt's stress.
jest.setTimeout(120_000);

const ctx = useOpsEmulator('stack.json');

const pipeline = (...args: string[]) => runProcess(['--outputs', 'stack.json', '--endpoint-url', ctx.emulator.endpoint, ...args], ctx.dir);

it('submits a file and reports it in status, exiting 0', async () => {
  writeFileSync(path.join(ctx.dir, 'doc.txt'), 'hello');

  const submitted = await pipeline('submit', 'doc.txt');
  const status = await pipeline('status');

  expect(submitted.code).toBe(0);
  expect(submitted.stdout).toMatch(new RegExp(`^PENDING [0-9a-f-]{36} s3://${ctx.resources.bucketName}/data/input/doc.txt\n`));
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`^${ItemStatus.PENDING} +1$`, 'm'));
});

it('exits 1 naming the missing outputs file', async () => {
  const result = await runProcess(['status'], ctx.dir);

  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`pipeline: no outputs file at ${path.join(ctx.dir, 'outputs.json')}`);
});

it('exits 1 naming a path outside data/input/, and writes no row', async () => {
  const outside = `s3://${ctx.resources.bucketName}/data/output/x.txt`;

  const result = await pipeline('submit', outside);

  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`${outside}: s3_path must be under s3://${ctx.resources.bucketName}/data/input/`);
  expect((await ctx.clients.documents.send(new ScanCommand({ TableName: ctx.resources.tableName }))).Items).toEqual([]);
});

it('exits 1 naming an unknown id', async () => {
  const result = await pipeline('retry', 'no-such-id');

  expect(result.code).toBe(1);
  expect(result.stderr).toBe(`pipeline: no row with id "no-such-id" in table ${ctx.resources.tableName}\n`);
});

it('exits 1 on a usage error caught by the parser', async () => {
  const result = await pipeline('submit');

  expect(result.code).toBe(1);
  expect(result.stderr).toContain("error: missing required argument 'paths'");
});
