import { type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { launchCandidates, runInstancesInput } from '../../../functions/orchestrator/launch-request';
import { clientToken } from '../../../functions/orchestrator/launch-token';
import { ec2Error, FakeEc2 } from '../../support/fake-ec2';
import {
  type Clock,
  createClock,
  FALLBACK_SUBNET,
  mocks,
  orchestrator,
  PREFERRED_SUBNET,
  resetMocks,
  SUBNET_ZONES,
  THIRD_SUBNET,
  UBUNTU_IMAGE,
} from '../../support/orchestrator-kit';

/**
 * AWS rules the orchestrator meets at run time, one test each. moto produces none of these behaviours
 * (facts.md), so each test injects the exact error code and message AWS returns, through a fake EC2 behind
 * aws-sdk-client-mock (support/fake-ec2.ts), and cites where that text comes from.
 */

let clock: Clock;
let fake: FakeEc2;

beforeEach(() => {
  resetMocks({ visible: 30 });
  clock = createClock();
  fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, images: [UBUNTU_IMAGE] });
  fake.install(mocks.ec2);
});

const WITH_FALLBACKS = { EC2_FALLBACK_SUBNET_IDS: `${FALLBACK_SUBNET},${THIRD_SUBNET}`, EC2_FALLBACK_INSTANCE_TYPES: 't3a.micro' };

function attempted(): Array<[string | undefined, string | undefined]> {
  return fake.requests.map((request) => [request.SubnetId, request.InstanceType]);
}

describe('AWS rules: the orchestrator at run time', () => {
  // Source: AWS Lambda, "Configuring reserved concurrency": "You can reserve up to the Unreserved account
  // concurrency value minus 100"; a new account with a total of 10 cannot reserve any (facts.md). Without
  // the reservation, scheduled and event-triggered runs overlap (issue 13).
  it('reserved concurrency is absent: 10 overlapping runs that see the same state launch MAX_WORKERS workers', async () => {
    const ticks = Array.from({ length: 10 }, () => orchestrator({ MAX_WORKERS: '2' }, clock).tick);

    await Promise.all(ticks.map((tick) => tick({})));

    expect(fake.active()).toHaveLength(2);
  });

  // Source: AWS EC2 API reference, "Eventual consistency in the Amazon EC2 API": a resource just created may
  // not appear in Describe* calls at once. The fake lists an instance only 5 s after its launch.
  it('DescribeInstances is eventually consistent: a run that does not see the launch yet gets the same instance back', async () => {
    const { tick } = orchestrator({}, clock);

    const first = await tick({});
    clock.advance(1_000);
    const blind = await tick({});
    clock.advance(5_000);
    const seeing = await tick({});

    expect(fake.instances).toHaveLength(1);
    expect(blind.launchedInstanceIds).toEqual(first.launchedInstanceIds);
    expect(seeing).toMatchObject({ workers: 1, launchRequested: 0 });
  });

  // Source: the exact RunInstances answer in us-east-1 (ned1313/Getting-Started-Terraform#44,
  // RedHatGov/redhatgov.workshops#113): use1-az3 offers no t3.
  it('Unsupported in the preferred zone: the same tick launches in the next subnet', async () => {
    fake.refuse({ subnetId: PREFERRED_SUBNET, instanceType: 't3.micro' }, () =>
      ec2Error(
        'Unsupported',
        'Your requested instance type (t3.micro) is not supported in your requested Availability Zone (us-east-1e). Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f.',
      ),
    );
    const { tick, metrics, line } = orchestrator({ ...WITH_FALLBACKS, MAX_WORKERS: '2' }, clock);

    const summary = await tick({});

    // The second slot skips the pair the first slot found unsupported.
    expect(attempted()).toEqual([
      [PREFERRED_SUBNET, 't3.micro'],
      [FALLBACK_SUBNET, 't3.micro'],
      [FALLBACK_SUBNET, 't3.micro'],
    ]);
    expect(summary).toMatchObject({ launchedInstanceIds: fake.active().map((instance) => instance.instanceId), failures: [] });
    expect(line('worker_launched')).toMatchObject({ subnetId: FALLBACK_SUBNET, attempts: [expect.objectContaining({ errorName: 'Unsupported' })] });
    expect(metrics).toEqual([]);
  });

  // Source: the exact answer (ansible-collections/amazon.aws#1038); HTTP 500, which the SDK retries first.
  // Zonal idempotency (AWS, "Ensuring idempotency in Amazon EC2 API requests"): each subnet and type gets its
  // own token, and a refused token reused with other parameters is refused again (ubicloud/ubicloud#5898).
  it('InsufficientInstanceCapacity: every subnet, then every fallback type; only when all fail is it a capacity failure', async () => {
    const noCapacity = (zone: string, input: RunInstancesCommandInput) =>
      ec2Error(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${input.InstanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${input.InstanceType} capacity by not specifying an Availability Zone in your request or choosing us-east-1c, us-east-1d.`,
        500,
      );
    // InsufficientFreeAddressesInSubnet rules the whole subnet out (osbuild/osbuild-composer#1575).
    fake.refuse({ subnetId: THIRD_SUBNET }, () =>
      ec2Error('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${THIRD_SUBNET}' to satisfy the requested number of instances.`),
    );
    fake.refuse({}, noCapacity);
    const { tick, metrics, line } = orchestrator(WITH_FALLBACKS, clock);

    const summary = await tick({});

    expect(attempted()).toEqual([
      [PREFERRED_SUBNET, 't3.micro'],
      [FALLBACK_SUBNET, 't3.micro'],
      [THIRD_SUBNET, 't3.micro'],
      [PREFERRED_SUBNET, 't3a.micro'],
      [FALLBACK_SUBNET, 't3a.micro'],
    ]);
    expect(new Set(fake.requests.map((request) => request.ClientToken)).size).toBe(5);
    expect(summary.failures).toEqual([
      expect.objectContaining({ slot: 0, kind: 'capacity', errorName: 'InsufficientInstanceCapacity', attempts: expect.any(Array) }),
    ]);
    expect(summary.failures[0].attempts).toHaveLength(5);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'warn', kind: 'capacity' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'capacity', count: 1 }]);
  });

  // Source: the exact answer while IAM propagates a new instance profile (hashicorp/terraform-provider-aws#27516).
  it('InvalidParameterValue on the instance profile is transient: a warning and a metric now, a launch on the next tick', async () => {
    const removeRefusal = fake.refuse({}, () =>
      ec2Error('InvalidParameterValue', 'Value (rag-pipeline-dev-worker) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'),
    );
    const { tick, metrics, line } = orchestrator(WITH_FALLBACKS, clock);

    const first = await tick({});
    removeRefusal();
    clock.advance(60_000);
    const next = await tick({});

    // No failover: every subnet would answer the same.
    expect(first.failures).toEqual([expect.objectContaining({ kind: 'instance-profile-not-ready', errorName: 'InvalidParameterValue' })]);
    expect(first.failures[0].attempts).toHaveLength(1);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'warn' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'instance-profile-not-ready', count: 1 }]);
    expect(next.launchedInstanceIds).toHaveLength(1);
  });

  // Source: the exact answer, HTTP 403 (CheckPointSW/Cuckoo-AWS#21; cattle-ops/terraform-aws-gitlab-runner#523).
  it('UnauthorizedOperation needs a person: an error line and the unauthorized metric, no failover', async () => {
    fake.refuse({}, () =>
      ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: 4uzTs1Ek8Q', 403),
    );
    const { tick, metrics, line } = orchestrator(WITH_FALLBACKS, clock);

    const summary = await tick({});

    expect(fake.requests).toHaveLength(1);
    expect(summary.failures).toEqual([expect.objectContaining({ kind: 'unauthorized', errorName: 'UnauthorizedOperation' })]);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'error', kind: 'unauthorized' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'unauthorized', count: 1 }]);
  });

  // Source: boto/boto3#4406: "The client token you have provided is associated with a terminated instance.
  // Please use a different client token."
  it('IdempotentInstanceTerminated: the slot moves to the next token generation and launches', async () => {
    const { tick } = orchestrator({}, clock);
    const first = await tick({});
    fake.terminate(first.launchedInstanceIds[0]);

    // Still inside the window, before DescribeInstances lists the worker: the run reuses its token.
    const again = await tick({});

    expect(fake.requests.map((request) => request.ClientToken?.slice(0, 9))).toEqual(['rag-s0-g0', 'rag-s0-g0', 'rag-s0-g1']);
    expect(again.launchedInstanceIds).toHaveLength(1);
    expect(again.launchedInstanceIds).not.toEqual(first.launchedInstanceIds);

    // A run that lists the terminated worker skips its generation without asking.
    clock.advance(10_000);
    fake.terminate(again.launchedInstanceIds[0]);
    fake.requests.length = 0;
    await tick({});
    expect(fake.requests.map((request) => request.ClientToken?.slice(0, 9))).toEqual(['rag-s0-g2']);
  });

  // Source: AWS, "Ensuring idempotency in Amazon EC2 API requests": a token retried with different
  // parameters fails with IdempotentParameterMismatch; ubicloud/ubicloud#5898 met it on a fallback family.
  it('IdempotentParameterMismatch cannot happen: any parameter change changes the token; if EC2 says it anyway, the tick fails loudly', async () => {
    const { config } = orchestrator(WITH_FALLBACKS, clock);
    const image = { imageId: 'ami-0abcdef1234567890', rootDeviceName: '/dev/sda1', rootVolumeGib: 8 };
    const scope = { slot: 0, windowStartMs: 0, generation: 0 };
    const tokens = launchCandidates(config).map((candidate) => clientToken(runInstancesInput(config, 'dXNlcg==', { slot: 0, candidate, image }), scope));
    const otherImage = clientToken(runInstancesInput(config, 'dXNlcg==', { slot: 0, candidate: launchCandidates(config)[0], image: { ...image, imageId: 'ami-0fedcba9876543210' } }), scope);
    const otherUserData = clientToken(runInstancesInput(config, 'b3RoZXI=', { slot: 0, candidate: launchCandidates(config)[0], image }), scope);
    expect(new Set([...tokens, otherImage, otherUserData]).size).toBe(tokens.length + 2);

    fake.refuse({}, () => ec2Error('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).'));
    const { tick, line } = orchestrator(WITH_FALLBACKS, clock);
    await expect(tick({})).rejects.toThrow('Arguments on this idempotent request are inconsistent');
    expect(line('tick_failed')).toMatchObject({ level: 'error' });
  });

  // Source: Canonical, "Find Ubuntu images on AWS", "Ownership verification": Canonical's images are owned
  // by 099720109477 in the aws partition. The bootstrap needs Ubuntu on x86_64 (the ubuntu user, linux-x64 Node.js).
  it('an image that is not Canonical x86_64 Ubuntu is refused before any launch, naming what is wrong', async () => {
    fake = new FakeEc2({
      subnets: SUBNET_ZONES,
      clock,
      images: [{ ...UBUNTU_IMAGE, OwnerId: '137112412989', Architecture: 'arm64', Name: 'al2023-ami-2023.6-kernel-6.1-arm64' }],
    });
    fake.install(mocks.ec2);
    const { tick, metrics, line } = orchestrator({}, clock);

    const summary = await tick({});

    expect(fake.requests).toHaveLength(0);
    expect(summary.failures).toEqual([
      {
        kind: 'unsupported-image',
        errorName: 'UnsupportedImage',
        message:
          'EC2_AMI_ID resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id (ami-0abcdef1234567890): ' +
          'its owner is 137112412989, not Canonical (099720109477 in the aws partition) or this account (123456789012): the bootstrap needs Ubuntu; ' +
          'its architecture is arm64, not x86_64: the bootstrap installs the linux-x64 Node.js build',
        attempts: [],
      },
    ]);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'error', kind: 'unsupported-image' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'unsupported-image', count: 1 }]);
  });
});
