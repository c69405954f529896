import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { startInstanceRunner, type RunningInstanceRunner } from '../../../local/standins/instance-runner';
import { eventually } from '../../support/eventually';
import { memoryLog } from '../../support/memory-log';
import { parseWorkerEnvironment, renderUserData } from '../../../runtime/bootstrap/user-data';
import { createInstanceMetadata } from '../../../worker/instance-metadata';

/** A stand-in worker bundle: records the environment it was given in its log file, then exits 0. */
const FAKE_WORKER = `
const env = process.env;
require('node:fs').appendFileSync(env.WORKER_LOG_PATH, JSON.stringify({
  instanceId: env.WORKER_INSTANCE_ID, endpoint: env.AWS_ENDPOINT_URL, queueUrl: env.SQS_QUEUE_URL, home: env.HOME,
}) + '\\n');
`;

/** The user data the suite's instances answer with, base64 as DescribeInstanceAttribute gives it. */
function ec2Answer() {
  const userData = renderUserData({
    region: 'us-east-1',
    queueUrl: 'http://127.0.0.1:5000/123456789012/work',
    tableName: 'items',
    bucketName: 'pipeline-bucket',
    workerCodeKey: 'worker/worker.js',
    autoterminateMinutes: 0.25,
  });
  return { Value: Buffer.from(userData).toString('base64') };
}

describe('startInstanceRunner', () => {
  const ec2 = mockClient(EC2Client);
  const s3 = mockClient(S3Client);
  let workDir: string;
  let runner: RunningInstanceRunner | undefined;

  beforeEach(() => {
    ec2.reset();
    s3.reset();
    workDir = mkdtempSync(path.join(os.tmpdir(), 'instance-runner-test-'));
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0abc' }] }] });
    ec2.on(DescribeInstanceAttributeCommand).resolves({ UserData: ec2Answer() });
    ec2.on(TerminateInstancesCommand).resolves({});
    s3.on(GetObjectCommand, { Bucket: 'pipeline-bucket', Key: 'worker/worker.js' }).resolves({
      Body: { transformToByteArray: async () => Buffer.from(FAKE_WORKER) } as never,
    });
  });

  afterEach(async () => {
    await runner?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs the bundle from the user data with the instance overrides, then terminates the instance once it exits', async () => {
    runner = startInstanceRunner({
      ec2: ec2 as unknown as EC2Client,
      s3: s3 as unknown as S3Client,
      endpoint: 'http://127.0.0.1:5000',
      workDir,
      parseWorkerEnvironment,
      log: memoryLog(),
      pollIntervalMs: 20,
    });

    const deadline = Date.now() + 10_000;
    while (ec2.commandCalls(TerminateInstancesCommand).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const [run] = runner.history();
    expect(run.exit).toEqual({ code: 0, signal: null });
    expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-0abc'] });
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:Role', Values: ['rag-worker'] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    });
    expect(JSON.parse(readFileSync(run.logPath, 'utf8'))).toEqual({
      instanceId: 'i-0abc',
      endpoint: 'http://127.0.0.1:5000',
      queueUrl: 'http://127.0.0.1:5000/123456789012/work',
      home: path.join(workDir, 'i-0abc'),
    });
    // The instance is still listed by the (mocked) DescribeInstances, yet it is booted only once.
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)).toHaveLength(1);
  });

  it('terminates an instance whose user data cannot start a worker, and logs why', async () => {
    ec2.on(DescribeInstanceAttributeCommand).resolves({ UserData: {} });
    const log = memoryLog();
    runner = startInstanceRunner({
      ec2: ec2 as unknown as EC2Client,
      s3: s3 as unknown as S3Client,
      endpoint: 'http://127.0.0.1:5000',
      workDir,
      parseWorkerEnvironment,
      log,
      pollIntervalMs: 20,
      userDataWaitMs: 200,
    });

    const deadline = Date.now() + 10_000;
    while (ec2.commandCalls(TerminateInstancesCommand).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-0abc'] });
    expect(log.events).toContainEqual(
      expect.objectContaining({ event: 'worker_boot_failed', fields: expect.objectContaining({ error: expect.stringContaining('no user data') }) }),
    );
  });

  it('counts the most workers alive at once, and counts afresh from those alive after resetPeak', async () => {
    // Each worker runs until a file appears in its HOME, so the test decides when each one ends.
    const lingeringWorker = `
const fs = require('node:fs');
const release = require('node:path').join(process.env.HOME, 'release');
const timer = setInterval(() => { if (fs.existsSync(release)) { clearInterval(timer); } }, 20);
`;
    s3.on(GetObjectCommand, { Bucket: 'pipeline-bucket', Key: 'worker/worker.js' }).resolves({
      Body: { transformToByteArray: async () => Buffer.from(lingeringWorker) } as never,
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0abc' }, { InstanceId: 'i-0def' }] }] });
    runner = startInstanceRunner({
      ec2: ec2 as unknown as EC2Client,
      s3: s3 as unknown as S3Client,
      endpoint: 'http://127.0.0.1:5000',
      workDir,
      parseWorkerEnvironment,
      log: memoryLog(),
      pollIntervalMs: 20,
    });
    const alive = (count: number) => () => runner!.running().length === count;

    await eventually(alive(2), 10_000, 'two workers running', 20);
    expect(runner.peakRunning()).toBe(2);
    writeFileSync(path.join(workDir, 'i-0abc', 'release'), '');
    await eventually(alive(1), 10_000, 'one worker left', 20);
    expect(runner.peakRunning()).toBe(2);

    runner.resetPeak();
    expect(runner.peakRunning()).toBe(1);
    writeFileSync(path.join(workDir, 'i-0def', 'release'), '');
    await eventually(alive(0), 10_000, 'no worker left', 20);
    expect(runner.peakRunning()).toBe(1);
  });

  it('boots no instance while boots are held, and boots the waiting ones once released', async () => {
    runner = startInstanceRunner({
      ec2: ec2 as unknown as EC2Client,
      s3: s3 as unknown as S3Client,
      endpoint: 'http://127.0.0.1:5000',
      workDir,
      parseWorkerEnvironment,
      log: memoryLog(),
      pollIntervalMs: 20,
    });
    const release = runner.holdBoots();

    await eventually(() => ec2.commandCalls(DescribeInstancesCommand).length >= 3, 10_000, 'three looks at the instances', 20);
    expect(runner.history()).toEqual([]);
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)).toHaveLength(0);

    release();
    await eventually(() => ec2.commandCalls(TerminateInstancesCommand).length > 0, 10_000, 'the released instance to run and end', 20);
    expect(runner.history().map((run) => [run.instanceId, run.exit])).toEqual([['i-0abc', { code: 0, signal: null }]]);
  });

  it('boots an instance whose user data arrives a moment after it is listed (the client-token proxy sets it)', async () => {
    const userData = ec2Answer();
    ec2.reset();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0abc' }] }] });
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(DescribeInstanceAttributeCommand).resolvesOnce({ UserData: {} }).resolvesOnce({ UserData: {} }).resolves({ UserData: userData });
    runner = startInstanceRunner({
      ec2: ec2 as unknown as EC2Client,
      s3: s3 as unknown as S3Client,
      endpoint: 'http://127.0.0.1:5000',
      workDir,
      parseWorkerEnvironment,
      log: memoryLog(),
      pollIntervalMs: 20,
    });

    await eventually(() => runner!.history()[0]?.exit !== undefined, 10_000, 'the worker ran and exited', 20);

    expect(runner.history()[0].exit).toEqual({ code: 0, signal: null });
  });

  describe('instance metadata and Spot interruptions', () => {
    /** A worker that stays until told, recording the metadata stand-in it was given. */
    const lingeringWorker = `
const fs = require('node:fs');
fs.appendFileSync(process.env.WORKER_LOG_PATH, JSON.stringify({ imds: process.env.WORKER_IMDS_ENDPOINT }) + '\\n');
setInterval(() => undefined, 1000);
process.on('SIGTERM', () => process.exit(0));
`;

    function start(lifecycle?: 'spot') {
      s3.on(GetObjectCommand, { Bucket: 'pipeline-bucket', Key: 'worker/worker.js' }).resolves({
        Body: { transformToByteArray: async () => Buffer.from(lingeringWorker) } as never,
      });
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [{ Instances: [{ InstanceId: 'i-0abc', InstanceType: 'c7i.large', ...(lifecycle ? { InstanceLifecycle: lifecycle } : {}) }] }],
      });
      runner = startInstanceRunner({
        ec2: ec2 as unknown as EC2Client,
        s3: s3 as unknown as S3Client,
        endpoint: 'http://127.0.0.1:5000',
        workDir,
        parseWorkerEnvironment,
        log: memoryLog(),
        pollIntervalMs: 20,
      });
      return runner;
    }

    const imdsOf = async (run: { logPath: string }) => {
      await eventually(() => { try { return readFileSync(run.logPath, 'utf8').includes('imds'); } catch { return false; } }, 10_000, 'the worker logged its IMDS', 20);
      return createInstanceMetadata({ endpoint: JSON.parse(readFileSync(run.logPath, 'utf8')).imds });
    };

    it('serves each worker its own instance metadata on 127.0.0.1: its type and how it was bought', async () => {
      const runner = start('spot');
      await eventually(() => runner.running().length === 1, 10_000, 'a worker running', 20);

      const metadata = await imdsOf(runner.running()[0]);

      expect(await metadata.read('instance-type')).toBe('c7i.large');
      expect(await metadata.read('instance-life-cycle')).toBe('spot');
      expect(await metadata.read('spot/instance-action')).toBeUndefined();
    });

    it('interrupts a Spot worker as EC2 does: the notice in its metadata, then the instance terminated when the notice is up', async () => {
      const runner = start('spot');
      await eventually(() => runner.running().length === 1, 10_000, 'a worker running', 20);
      const metadata = await imdsOf(runner.running()[0]);

      expect(runner.recommendRebalance('i-0abc')).toBe(true);
      expect(await metadata.read('events/recommendations/rebalance')).toContain('noticeTime');
      expect(runner.interrupt('i-0abc', 300)).toBe(true);
      expect(JSON.parse((await metadata.read('spot/instance-action'))!)).toMatchObject({ action: 'terminate' });
      await eventually(() => ec2.commandCalls(TerminateInstancesCommand).length > 0, 10_000, 'the instance terminated', 20);

      expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-0abc'] });
    });

    it('does not interrupt an on-demand worker', async () => {
      const runner = start();
      await eventually(() => runner.running().length === 1, 10_000, 'a worker running', 20);

      expect(runner.interrupt('i-0abc')).toBe(false);
      expect(runner.recommendRebalance('i-0abc')).toBe(false);
      expect(await (await imdsOf(runner.running()[0])).read('instance-life-cycle')).toBe('on-demand');
    });
  });
});
