import { Writable } from 'node:stream';
import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  type Instance,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { bootFailureMarkerKey } from '../../../contracts';
import { EmulatorImages } from '../../../local/emulator/images';
import { EMULATOR_REGION, EMULATOR_SDK_CREDENTIALS } from '../../../local/emulator/moto';
import { createClients, type OrchestratorClients } from '../../../functions/orchestrator/clients';
import { loadConfig } from '../../../functions/orchestrator/config';
import { createHandler } from '../../../functions/orchestrator/handler';
import { createLogger } from '../../../functions/orchestrator/logger';
import { startClientTokenProxy, type ClientTokenProxy } from '../../../local/standins/client-tokens';
import { renderUserData } from '../../../runtime/bootstrap/user-data';
import { useEmulator } from '../../support/emulator';
import { orchestratorEnvironment, type OrchestratorSettings } from '../../support/orchestrator-env';

/**
 * The orchestrator against moto on 127.0.0.1: the queue, bucket, network, instance profile and launch template
 * are made with the SDK (IAM through its query API, as no IAM client is installed), not terraform. moto's
 * CreateFleet launches from the template and the request's overrides, but lists no Errors and applies only the
 * image, type, subnet and tags (moto/ec2/models/fleets.py); EC2 goes through the local run's proxy
 * (local/standins/client-tokens.ts), which adds ClientToken idempotency and the request's user data. The
 * concurrent case and AWS's answers are
 * proven against a fake EC2 (__tests__/unit/orchestrator/concurrency.test.ts, __tests__/unit/aws-rules), and what
 * the template holds by the module's tests (__tests__/unit/modules/ec2.test.ts). The images are the emulator's
 * (local/emulator/images.ts): Canonical's Ubuntu 24.04 passes the launch-time image check.
 */

const AMI = EmulatorImages.ubuntu2404;
const PROFILE = 'rag-pipeline-test-worker';
const BUCKET = 'rag-pipeline-test-bucket';

// Each test resets moto and builds a small network: 5–25 s on the 2-core machine with one busy process per
// core (the flake hunt, docs/benchmarks.md). The deadline only catches a hang: 30 s was reached once there.
jest.setTimeout(120_000);

const kit = useEmulator();
let clients: OrchestratorClients;
/** EC2 through the local run's stand-in for what moto's CreateFleet lacks (client tokens, the request's user data). */
let proxy: ClientTokenProxy;

beforeAll(async () => {
  clients = createClients({ region: EMULATOR_REGION, endpoint: kit.emulator.endpoint, credentials: EMULATOR_SDK_CREDENTIALS });
  proxy = await startClientTokenProxy(kit.emulator.endpoint, clients.ec2);
  const throughProxy = createClients({ region: EMULATOR_REGION, endpoint: proxy.endpoint, credentials: EMULATOR_SDK_CREDENTIALS });
  clients = { ...clients, ec2: throughProxy.ec2 };
});
afterAll(async () => {
  clients?.ec2.destroy();
  await proxy?.close();
});

interface Pipeline {
  readonly queueUrl: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly launchTemplateId: string;
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
  const { LaunchTemplate } = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'rag-pipeline-test-worker',
      LaunchTemplateData: {
        SecurityGroupIds: [GroupId ?? ''],
        IamInstanceProfile: { Name: PROFILE },
        InstanceInitiatedShutdownBehavior: 'terminate',
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
      },
    }),
  );
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'rag-pipeline-test-work' }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  return {
    queueUrl: QueueUrl ?? '',
    subnetId: Subnet?.SubnetId ?? '',
    securityGroupId: GroupId ?? '',
    launchTemplateId: LaunchTemplate?.LaunchTemplateId ?? '',
  };
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
      bucketName: BUCKET,
      launchTemplateId: pipeline.launchTemplateId,
      launchTemplateVersion: '1',
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

  it('launches one worker through an instant fleet, with the right image, type, subnet, tags and user data, when messages wait', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);

    const summary = await orchestrator(pipeline)(scheduledEvent());

    const instances = await workers();
    expect(instances).toHaveLength(1);
    const [instance] = instances;
    expect(summary).toMatchObject({ visibleMessages: 3, reason: 'scale-out', launchedInstanceIds: [instance.InstanceId], capacityTypes: ['on-demand'] });
    expect(instance).toMatchObject({ ImageId: AMI, InstanceType: 't3.micro', SubnetId: pipeline.subnetId });
    expect(instance.InstanceLifecycle).toBeUndefined();
    expect(instance.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Role', Value: 'rag-worker' },
        { Key: 'Name', Value: 'rag-pipeline-test-worker' },
        { Key: 'project', Value: 'rag-pipeline' },
        { Key: 'environment', Value: 'test' },
        { Key: 'rag-worker-slot', Value: '0' },
        { Key: 'rag-worker-purchase', Value: 'on-demand' },
        // The fleet's token, on the instance: the next runs read it (a fleet's instance does not carry it as its ClientToken).
        { Key: 'rag-worker-launch', Value: expect.stringMatching(/^rag-s0-g0-[0-9a-f]{40}$/) },
      ]),
    );

    const userData = await clients.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId, Attribute: 'userData' }));
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
        interruptionRetries: 5,
      }),
    );
  });

  it('launches a Spot worker when the purchase option is spot', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);

    const summary = await orchestrator(pipeline, { purchaseOption: 'spot' })(scheduledEvent());

    const [instance] = await workers();
    expect(summary).toMatchObject({ capacityTypes: ['spot'], launchedInstanceIds: [instance.InstanceId] });
    expect(instance.InstanceLifecycle).toBe('spot');
    expect(instance.Tags).toEqual(expect.arrayContaining([{ Key: 'rag-worker-purchase', Value: 'spot' }]));
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

    const tokens = (await workers()).map((instance) => instance.Tags?.find((tag) => tag.Key === 'rag-worker-launch')?.Value?.slice(0, 9)).sort();
    expect(second.launchedInstanceIds).toHaveLength(1);
    expect(tokens).toEqual(['rag-s0-g0', 'rag-s0-g1']);
  });

  it.each([
    { case: 'a Windows image', amiId: EmulatorImages.windows, problem: 'it is a Windows image' },
    { case: 'Ubuntu 22.04', amiId: EmulatorImages.ubuntu2204, problem: "it is Ubuntu 22.04, older than 24.04: its curl cannot sign the bootstrap's S3 requests" },
  ])('refuses $case, and launches nothing', async ({ amiId, problem }) => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);

    const summary = await orchestrator(pipeline, { amiId })(scheduledEvent());

    expect(summary.failures).toEqual([expect.objectContaining({ kind: 'unsupported-image', message: expect.stringContaining(problem) })]);
    expect(await workers()).toHaveLength(0);
  });

  it('launches the Deep Learning Base GPU image', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);

    await orchestrator(pipeline, { amiId: EmulatorImages.deepLearning2404, instanceType: 'g5.xlarge' })(scheduledEvent());

    expect(await workers()).toEqual([expect.objectContaining({ ImageId: EmulatorImages.deepLearning2404, InstanceType: 'g5.xlarge' })]);
  });

  it('holds launches back while a recent boot-failure marker is in the bucket', async () => {
    const pipeline = await createPipeline();
    await enqueue(pipeline.queueUrl, 3);
    // The key a failed boot writes (contracts/boot-failure.ts).
    const key = bootFailureMarkerKey('i-0123456789abcdef0', new Date(Date.now() - 10_000));
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{}' }));

    const summary = await orchestrator(pipeline)(scheduledEvent());

    expect(summary.deferred).toMatchObject({ kind: 'boot-failures', launches: 1, recentFailures: 1 });
    expect(await workers()).toHaveLength(0);
  });
});
