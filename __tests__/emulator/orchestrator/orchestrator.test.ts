import { Writable } from 'node:stream';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type Instance,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { EMULATOR_REGION, EMULATOR_SDK_CREDENTIALS } from '../../../local/emulator/moto';
import { createClients, type OrchestratorClients } from '../../../functions/orchestrator/clients';
import { loadConfig } from '../../../functions/orchestrator/config';
import { createHandler } from '../../../functions/orchestrator/handler';
import { createLogger } from '../../../functions/orchestrator/logger';
import { renderUserData } from '../../../runtime/bootstrap/user-data';
import { useEmulator } from '../../support/emulator';
import { orchestratorEnvironment, type OrchestratorSettings } from '../../support/orchestrator-env';

/**
 * The orchestrator against moto on 127.0.0.1: the queue, bucket, network and instance profile are made with
 * the SDK (IAM through its query API, as no IAM client is installed), not terraform. moto does not implement
 * RunInstances' ClientToken, so "the same tick twice" here is the sequential case, which DescribeInstances
 * settles; the concurrent case, which only the client token settles, is proven against a fake EC2 in
 * __tests__/unit/orchestrator/concurrency.test.ts. The image is moto's built-in Canonical Ubuntu 16.04 AMI
 * (owner 099720109477, x86_64, /dev/sda1, a 15 GiB root snapshot): the launch-time image check passes on it.
 */

/** moto's Canonical Ubuntu xenial image; ami-03cf127a is one of its Windows images. */
const AMI = 'ami-785db401';
const WINDOWS_AMI = 'ami-03cf127a';
/** moto's image describes a 15 GiB root snapshot; the launch never maps less. */
const ROOT_SNAPSHOT_GIB = 15;
const PROFILE = 'rag-pipeline-test-worker';
const BUCKET = 'rag-pipeline-test-bucket';

// Each test resets moto and builds a small network: 5–25 s on the 2-core machine with one busy process per
// core (the flake hunt, docs/benchmarks.md). The deadline only catches a hang: 30 s was reached once there.
jest.setTimeout(120_000);

const kit = useEmulator();
let clients: OrchestratorClients;

beforeAll(() => {
  clients = createClients({ region: EMULATOR_REGION, endpoint: kit.emulator.endpoint, credentials: EMULATOR_SDK_CREDENTIALS });
});

interface Pipeline {
  readonly queueUrl: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
}

async function createPipeline(): Promise<Pipeline> {
  const ec2 = clients.ec2;
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.42.1.0/24' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ VpcId: Vpc?.VpcId, GroupName: 'rag-worker', Description: 'workers: egress only' }),
  );
  await iam({ Action: 'CreateRole', RoleName: PROFILE, AssumeRolePolicyDocument: EC2_TRUST_POLICY });
  await iam({ Action: 'CreateInstanceProfile', InstanceProfileName: PROFILE });
  await iam({ Action: 'AddRoleToInstanceProfile', InstanceProfileName: PROFILE, RoleName: PROFILE });
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'rag-pipeline-test-work' }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  return { queueUrl: QueueUrl ?? '', subnetId: Subnet?.SubnetId ?? '', securityGroupId: GroupId ?? '' };
}

const EC2_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** One IAM query API call; moto reads the service from the credential scope and checks no signature. */
async function iam(params: Record<string, string>): Promise<void> {
  const response = await fetch(kit.emulator.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${EMULATOR_SDK_CREDENTIALS.accessKeyId}/20260101/${EMULATOR_REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  if (!response.ok) throw new Error(`IAM ${params.Action} answered ${response.status}: ${await response.text()}`);
}

async function enqueue(queueUrl: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10) {
    const size = Math.min(10, count - start);
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: size }, (_, i) => ({ Id: `m${start + i}`, MessageBody: JSON.stringify({ n: start + i }) })),
      }),
    );
  }
}

function orchestrator(pipeline: Pipeline, settings: OrchestratorSettings = {}) {
  const env = orchestratorEnvironment(
    {
      queueUrl: pipeline.queueUrl,
      tableName: 'rag-pipeline-test-items',
      amiId: AMI,
      subnetId: pipeline.subnetId,
      securityGroupId: pipeline.securityGroupId,
      bucketName: BUCKET,
      instanceProfileName: PROFILE,
      workerName: 'rag-pipeline-test-worker',
      workerTags: '{"project":"rag-pipeline","environment":"test"}',
      // Unset, as before the kit: the user data then carries no last-receive rule.
      maxReceiveCount: undefined,
      ...settings,
    },
    { region: EMULATOR_REGION, functionName: 'rag-pipeline-test-orchestrator' },
  );
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const metrics = { launchFailed: () => undefined, launchesDeferred: () => undefined };
  return createHandler({ config: loadConfig(env), clients, logger: createLogger(silent), metrics });
}

let eventCount = 0;
function scheduledEvent() {
  eventCount += 1;
  return { id: `00000000-0000-4000-8000-${String(eventCount).padStart(12, '0')}`, time: new Date().toISOString() };
}

async function workers(): Promise<Instance[]> {
  const { Reservations = [] } = await clients.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Role', Values: ['rag-worker'] }] }),
  );
  return Reservations.flatMap((reservation) => reservation.Instances ?? []);
}

describe('orchestrator against the emulator', () => {
  it('launches nothing when the queue is empty', async () => {
    const pipeline = await createPipeline();

    const summary = await orchestrator(pipeline)(scheduledEvent());

    expect(summary).toMatchObject({ visibleMessages: 0, reason: 'queue-empty', launchedInstanceIds: [] });
    expect(await workers()).toHaveLength(0);
  });

  it('launches one worker with the right tags, profile, subnet, metadata options and user data when messages wait', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);

    const summary = await orchestrator(pipeline)(scheduledEvent());

    const instances = await workers();
    expect(instances).toHaveLength(1);
    const [instance] = instances;
    expect(summary).toMatchObject({ visibleMessages: 3, reason: 'scale-out', launchedInstanceIds: [instance.InstanceId] });
    expect(instance).toMatchObject({
      ImageId: AMI,
      InstanceType: 't3.micro',
      SubnetId: pipeline.subnetId,
      SecurityGroups: [expect.objectContaining({ GroupId: pipeline.securityGroupId })],
      MetadataOptions: expect.objectContaining({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 }),
    });
    expect(instance.IamInstanceProfile?.Arn).toMatch(new RegExp(`:instance-profile/${PROFILE}$`));
    expect(instance.KeyName).toBeUndefined();
    expect(instance.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Role', Value: 'rag-worker' },
        { Key: 'Name', Value: 'rag-pipeline-test-worker' },
        { Key: 'project', Value: 'rag-pipeline' },
        { Key: 'environment', Value: 'test' },
        { Key: 'rag-worker-slot', Value: '0' },
      ]),
    );
    // moto keeps the client token, as DescribeInstances in AWS does: the next runs read it.
    expect(instance.ClientToken).toMatch(/^rag-s0-g0-[0-9a-f]{40}$/);

    const { Volumes = [] } = await clients.ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instance.InstanceId ?? ''] }] }),
    );
    expect(Volumes).toHaveLength(1);
    expect(Volumes[0]).toMatchObject({ VolumeType: 'gp3', Encrypted: true, Size: ROOT_SNAPSHOT_GIB });
    expect(Volumes[0].Tags).toEqual(expect.arrayContaining([{ Key: 'Role', Value: 'rag-worker' }, { Key: 'project', Value: 'rag-pipeline' }]));

    const shutdown = await clients.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId, Attribute: 'instanceInitiatedShutdownBehavior' }),
    );
    expect(shutdown.InstanceInitiatedShutdownBehavior?.Value).toBe('terminate');
    const userData = await clients.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId, Attribute: 'userData' }),
    );
    expect(Buffer.from(userData.UserData?.Value ?? '', 'base64').toString('utf8')).toBe(
      renderUserData({
        region: EMULATOR_REGION,
        queueUrl: pipeline.queueUrl,
        tableName: 'rag-pipeline-test-items',
        bucketName: BUCKET,
        workerCodeKey: 'worker/worker.js',
        autoterminateMinutes: 5,
        concurrency: 4,
        visibilityTimeoutSeconds: 300,
      }),
    );
  });

  it('launches nothing on the next tick while that worker exists', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);
    const tick = orchestrator(pipeline);

    await tick(scheduledEvent());
    const second = await tick(scheduledEvent());

    expect(second).toMatchObject({ workers: 1, launchRequested: 0, launchedInstanceIds: [] });
    expect(await workers()).toHaveLength(1);
  });

  it('launches three workers for 25 messages at 10 per worker with MAX_WORKERS=3', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 25);

    const summary = await orchestrator(pipeline, { maxWorkers: '3' })(scheduledEvent());

    expect(summary).toMatchObject({ visibleMessages: 25, targetWorkers: 3, launchRequested: 3 });
    expect(summary.launchedInstanceIds).toHaveLength(3);
    const instances = await workers();
    expect(instances.map((instance) => instance.InstanceId).sort()).toEqual([...summary.launchedInstanceIds].sort());
  });

  it('launches once when the same tick is delivered twice', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);
    const tick = orchestrator(pipeline);
    const event = scheduledEvent();

    const first = await tick(event);
    const duplicate = await tick(event);

    expect(first.launchedInstanceIds).toHaveLength(1);
    expect(duplicate).toMatchObject({ workers: 1, launchedInstanceIds: [] });
    expect(await workers()).toHaveLength(1);
  });

  it('launches the next generation of a slot whose worker has terminated', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);
    const tick = orchestrator(pipeline);
    const first = await tick(scheduledEvent());
    await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [...first.launchedInstanceIds] }));

    const second = await tick(scheduledEvent());

    const tokens = (await workers()).map((instance) => instance.ClientToken?.slice(0, 9)).sort();
    expect(second.launchedInstanceIds).toHaveLength(1);
    expect(tokens).toEqual(['rag-s0-g0', 'rag-s0-g1']);
  });

  it('refuses an image that is not Canonical Ubuntu, and launches nothing', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);

    const summary = await orchestrator(pipeline, { amiId: WINDOWS_AMI })(scheduledEvent());

    expect(summary.failures).toEqual([
      expect.objectContaining({ kind: 'unsupported-image', message: expect.stringContaining('it is a Windows image') }),
    ]);
    expect(await workers()).toHaveLength(0);
  });

  it('holds launches back while a recent boot-failure marker is in the bucket', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);
    const failedAt = new Date(Date.now() - 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `logs/boot-failures/${failedAt}-i-0123456789abcdef0.json`, Body: '{}' }));

    const summary = await orchestrator(pipeline)(scheduledEvent());

    expect(summary.deferred).toMatchObject({ kind: 'boot-failures', launches: 1, recentFailures: 1 });
    expect(await workers()).toHaveLength(0);
  });
});
