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

/** A stand-in worker bundle: records the environment it was given in its log file, then exits 0. */
const FAKE_WORKER = `
const env = process.env;
require('node:fs').appendFileSync(env.WORKER_LOG_PATH, JSON.stringify({
  instanceId: env.WORKER_INSTANCE_ID, endpoint: env.AWS_ENDPOINT_URL, queueUrl: env.SQS_QUEUE_URL, home: env.HOME,
}) + '\\n');
`;

describe('startInstanceRunner', () => {
  const ec2 = mockClient(EC2Client);
  const s3 = mockClient(S3Client);
  let workDir: string;
  let runner: RunningInstanceRunner | undefined;

  beforeEach(() => {
    ec2.reset();
    s3.reset();
    workDir = mkdtempSync(path.join(os.tmpdir(), 'instance-runner-test-'));
    const userData = renderUserData({
      region: 'us-east-1',
      queueUrl: 'http://127.0.0.1:5000/123456789012/work',
      tableName: 'items',
      bucketName: 'pipeline-bucket',
      workerCodeKey: 'worker/worker.js',
      autoterminateMinutes: 0.25,
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0abc' }] }] });
    ec2.on(DescribeInstanceAttributeCommand).resolves({ UserData: { Value: Buffer.from(userData).toString('base64') } });
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
});
