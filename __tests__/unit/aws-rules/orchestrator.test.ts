import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createFleetInput } from '../../../functions/orchestrator/launch-request';
import { clientToken } from '../../../functions/orchestrator/launch-token';
import { AwsPoolErrors, ec2Error, FakeEc2 } from '../../support/fake-ec2';
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
 * (facts.md: its CreateFleet launches in the cheapest pool, lists no Errors and ignores ClientToken), so each
 * test injects the exact error code and message AWS returns, through a fake EC2 behind aws-sdk-client-mock
 * (support/fake-ec2.ts, AwsPoolErrors), and cites where that text comes from.
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
const SPOT = { ...WITH_FALLBACKS, EC2_PURCHASE_OPTION: 'spot' };
const SPOT_THEN_ON_DEMAND = { ...WITH_FALLBACKS, EC2_PURCHASE_OPTION: 'spot-then-on-demand' };

/** The capacity type of each CreateFleet call, in order. */
function capacityTypesAsked(): Array<string | undefined> {
  return fake.requests.map((request) => request.TargetCapacitySpecification?.DefaultTargetCapacityType);
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

  // Source: the exact answer in us-east-1 (ned1313/Getting-Started-Terraform#44): use1-az3 offers no t3. A fleet
  // lists it for that pool and launches in the next one (osbuild/osbuild-composer#4507: instances and errors in
  // one response).
  it('an unsupported type in the preferred zone: one call launches in the next pool and lists the refused one', async () => {
    fake.refusePools({ subnetId: PREFERRED_SUBNET, instanceType: 't3.micro' }, AwsPoolErrors.unsupportedType);
    const { tick, metrics, line } = orchestrator({ ...WITH_FALLBACKS, MAX_WORKERS: '2' }, clock);

    const summary = await tick({});

    expect(fake.requests).toHaveLength(2);
    expect(fake.active().map((instance) => [instance.subnetId, instance.instanceType])).toEqual([
      [FALLBACK_SUBNET, 't3.micro'],
      [FALLBACK_SUBNET, 't3.micro'],
    ]);
    expect(summary).toMatchObject({ launchedInstanceIds: fake.active().map((instance) => instance.instanceId), failures: [] });
    expect(line('worker_launched')).toMatchObject({
      subnetId: FALLBACK_SUBNET,
      attempts: [{ capacityType: 'on-demand', generation: 0, errors: [`Unsupported t3.micro ${PREFERRED_SUBNET}`] }],
    });
    expect(metrics).toEqual([]);
  });

  // Source: the exact on-demand answer (ansible-collections/amazon.aws#1038), "There are not enough free
  // addresses in subnet" (osbuild/osbuild-composer#1575); karpenter counts both as capacity it cannot have.
  it('no on-demand capacity in any pool: one call lists every pool, and only then is it a capacity failure', async () => {
    fake.refusePools({ subnetId: THIRD_SUBNET }, () => ({
      code: 'InsufficientFreeAddressesInSubnet',
      message: `There are not enough free addresses in subnet '${THIRD_SUBNET}' to satisfy the requested number of instances.`,
    }));
    fake.refusePools({}, AwsPoolErrors.noOnDemandCapacity);
    const { tick, metrics, line } = orchestrator(WITH_FALLBACKS, clock);

    const summary = await tick({});

    expect(fake.requests).toHaveLength(1);
    expect(summary.failures).toEqual([expect.objectContaining({ slot: 0, kind: 'capacity', errorName: 'InsufficientInstanceCapacity' })]);
    expect(summary.failures[0].attempts).toEqual([
      {
        capacityType: 'on-demand',
        generation: 0,
        clientToken: fake.requests[0].ClientToken,
        errors: [
          `InsufficientInstanceCapacity t3.micro ${PREFERRED_SUBNET}`,
          `InsufficientInstanceCapacity t3.micro ${FALLBACK_SUBNET}`,
          `InsufficientFreeAddressesInSubnet t3.micro ${THIRD_SUBNET}`,
          `InsufficientInstanceCapacity t3a.micro ${PREFERRED_SUBNET}`,
          `InsufficientInstanceCapacity t3a.micro ${FALLBACK_SUBNET}`,
          `InsufficientFreeAddressesInSubnet t3a.micro ${THIRD_SUBNET}`,
        ],
      },
    ]);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'warn', kind: 'capacity' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'capacity', count: 1 }]);
  });

  // Source: "There is no Spot capacity available that matches your request." and UnfulfillableCapacity, as
  // CreateFleet lists them (osbuild/osbuild-composer#4507, #4220, which retries as on-demand).
  it.each([
    { case: 'InsufficientInstanceCapacity', answer: AwsPoolErrors.noSpotCapacity },
    { case: 'UnfulfillableCapacity', answer: AwsPoolErrors.unfulfillableSpot },
    { case: 'the Spot vCPU quota', answer: AwsPoolErrors.spotQuota },
  ])('no Spot capacity in any pool ($case): `spot` waits for the next tick, `spot-then-on-demand` launches on-demand now', async ({ answer }) => {
    fake.refusePools({ capacityType: 'spot' }, answer);

    const spotOnly = await orchestrator(SPOT, clock).tick({});
    expect(capacityTypesAsked()).toEqual(['spot']);
    expect(spotOnly).toMatchObject({ launchedInstanceIds: [], capacityTypes: ['spot'], failures: [expect.objectContaining({ kind: 'capacity', errorName: answer().code })] });

    fake.requests.length = 0;
    const withFallback = await orchestrator(SPOT_THEN_ON_DEMAND, clock).tick({});
    expect(capacityTypesAsked()).toEqual(['spot', 'on-demand']);
    // Each capacity type has its own token: reusing the Spot one for on-demand is IdempotentParameterMismatch (runs-on/runs-on#251).
    expect(new Set(fake.requests.map((request) => request.ClientToken)).size).toBe(2);
    expect(withFallback).toMatchObject({ launchedInstanceIds: [fake.active()[0].instanceId], failures: [] });
    expect(fake.active()[0]).toMatchObject({ capacityType: 'on-demand', tags: expect.arrayContaining([{ Key: 'rag-worker-purchase', Value: 'on-demand' }]) });
  });

  it('Spot capacity in some pools: a Spot worker, its refused pools logged', async () => {
    fake.refusePools({ capacityType: 'spot', instanceType: 't3.micro' }, AwsPoolErrors.noSpotCapacity);
    const { tick, line } = orchestrator(SPOT_THEN_ON_DEMAND, clock);

    const summary = await tick({});

    expect(capacityTypesAsked()).toEqual(['spot']);
    expect(fake.active()).toEqual([expect.objectContaining({ capacityType: 'spot', instanceType: 't3a.micro' })]);
    expect(summary.failures).toEqual([]);
    expect(line('worker_launched')).toMatchObject({ capacityType: 'spot', instanceType: 't3a.micro', attempts: [expect.objectContaining({ capacityType: 'spot' })] });
  });

  // Source: "The provided credentials do not have permission to create the service-linked role for EC2 Spot
  // Instances." listed by CreateFleet (terraform-aws-modules/terraform-aws-eks#2670): the account lacks
  // AWSServiceRoleForEC2Spot. It needs a person, but it does not refuse on-demand.
  it('no Spot service-linked role: an unauthorized failure to fix, and the on-demand fallback launches all the same', async () => {
    fake.refusePools({ capacityType: 'spot' }, AwsPoolErrors.noSpotServiceLinkedRole);
    const { tick, metrics, line } = orchestrator(SPOT_THEN_ON_DEMAND, clock);

    const summary = await tick({});

    expect(capacityTypesAsked()).toEqual(['spot', 'on-demand']);
    expect(summary.launchedInstanceIds).toHaveLength(1);
    expect(summary.failures).toEqual([
      expect.objectContaining({ slot: 0, capacityType: 'spot', kind: 'unauthorized', errorName: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted' }),
    ]);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'error', kind: 'unauthorized' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'unauthorized', count: 1 }]);
  });

  it('after a recent interruption, with onDemandAfterInterruption, Spot options launch on-demand', async () => {
    mocks.s3.on(ListObjectsV2Command, { Prefix: 'logs/interruptions/' }).resolves({ Contents: [{ Key: 'logs/interruptions/2026-11-25T15-55-00-000Z-i-0abc.json' }] });
    const { tick } = orchestrator({ ...SPOT, EC2_ON_DEMAND_AFTER_INTERRUPTION: 'true' }, clock);

    const summary = await tick({});

    expect(capacityTypesAsked()).toEqual(['on-demand']);
    expect(summary.capacityTypes).toEqual(['on-demand']);
    expect(mocks.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix)).toEqual(['logs/boot-failures/', 'logs/interruptions/']);

    // Once no marker is recent any more, Spot again: the next slot, once the first worker is listed.
    fake.requests.length = 0;
    clock.advance(10_000);
    mocks.s3.on(ListObjectsV2Command, { Prefix: 'logs/interruptions/' }).resolves({ Contents: [] });
    await orchestrator({ ...SPOT, EC2_ON_DEMAND_AFTER_INTERRUPTION: 'true', MAX_WORKERS: '2' }, clock).tick({});
    expect(capacityTypesAsked()).toEqual(['spot']);
  });

  // Source: the exact answer while IAM propagates a new instance profile (hashicorp/terraform-provider-aws#27516).
  it('InvalidParameterValue on the instance profile is transient: a warning and a metric now, a launch on the next tick', async () => {
    const removeRefusal = fake.refuseCalls(() =>
      ec2Error('InvalidParameterValue', 'Value (rag-pipeline-dev-worker) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'),
    );
    const { tick, metrics, line } = orchestrator(WITH_FALLBACKS, clock);

    const first = await tick({});
    removeRefusal();
    clock.advance(60_000);
    const next = await tick({});

    expect(first.failures).toEqual([expect.objectContaining({ kind: 'instance-profile-not-ready', errorName: 'InvalidParameterValue' })]);
    expect(first.failures[0].attempts).toHaveLength(1);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'warn' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'instance-profile-not-ready', count: 1 }]);
    expect(next.launchedInstanceIds).toHaveLength(1);
  });

  // Source: the exact answer, HTTP 403 (CheckPointSW/Cuckoo-AWS#21; cattle-ops/terraform-aws-gitlab-runner#523).
  it('UnauthorizedOperation needs a person: an error line and the unauthorized metric, no other call', async () => {
    fake.refuseCalls(() => ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: 4uzTs1Ek8Q', 403));
    const { tick, metrics, line } = orchestrator(SPOT_THEN_ON_DEMAND, clock);

    const summary = await tick({});

    expect(fake.requests).toHaveLength(2);
    expect(summary.failures.map((failure) => [failure.capacityType, failure.kind])).toEqual([
      ['spot', 'unauthorized'],
      [undefined, 'unauthorized'],
    ]);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'error', kind: 'unauthorized' });
    expect(metrics).toEqual([
      { metric: 'LaunchFailures', kind: 'unauthorized', count: 1 },
      { metric: 'LaunchFailures', kind: 'unauthorized', count: 1 },
    ]);
  });

  // Source: AWS, "Ensuring idempotency in Amazon EC2 API requests": a retry with the same token and parameters
  // "succeeds without performing any further actions". An instance a token launched and that has since gone
  // keeps the token used up: the slot moves to the next generation, as RunInstances' IdempotentInstanceTerminated
  // (boto/boto3#4406) made it.
  it('a repeated token returns the instance it launched; once that instance is gone the slot takes the next generation', async () => {
    const { tick } = orchestrator({}, clock);
    const first = await tick({});
    fake.terminate(first.launchedInstanceIds[0]);

    // Still inside the window, before DescribeInstances lists the worker: the run reuses its token and gets the
    // terminated instance back, which it cannot tell from a new one yet.
    const blind = await tick({});
    expect(blind.launchedInstanceIds).toEqual(first.launchedInstanceIds);

    // A run that lists the terminated worker skips its generation without asking.
    clock.advance(10_000);
    fake.requests.length = 0;
    const seeing = await tick({});
    expect(fake.requests.map((request) => request.ClientToken?.slice(0, 9))).toEqual(['rag-s0-g1']);
    expect(seeing.launchedInstanceIds).not.toEqual(first.launchedInstanceIds);
  });

  // Whether EC2 evaluates again a token whose instant fleet launched nothing is not documented: either way the
  // slot launches no second instance, and at worst waits for the next token window (10 minutes).
  it.each([
    { case: 'evaluates the token again', replayEmptyFleets: false, launches: 1 },
    { case: 'answers the recorded empty fleet again', replayEmptyFleets: true, launches: 0 },
  ])('a token whose fleet launched nothing, when EC2 $case', async ({ replayEmptyFleets, launches }) => {
    fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, images: [UBUNTU_IMAGE], replayEmptyFleets });
    fake.install(mocks.ec2);
    const removeRefusal = fake.refusePools({}, AwsPoolErrors.noOnDemandCapacity);
    const { tick } = orchestrator({}, clock);
    await tick({});
    removeRefusal();
    clock.advance(60_000);

    const next = await tick({});

    expect(fake.requests.map((request) => request.ClientToken)).toEqual([fake.requests[0].ClientToken, fake.requests[0].ClientToken]);
    expect(next.launchedInstanceIds).toHaveLength(launches);
    expect(fake.active()).toHaveLength(launches);
  });

  // Source: AWS, "Ensuring idempotency in Amazon EC2 API requests": a token retried with different
  // parameters fails with IdempotentParameterMismatch; runs-on/runs-on#251 met it retrying a Spot fleet as on-demand.
  it('IdempotentParameterMismatch cannot happen: any parameter change changes the token; if EC2 says it anyway, the tick fails loudly', async () => {
    const { config } = orchestrator(WITH_FALLBACKS, clock);
    const image = { imageId: 'ami-0abcdef1234567890', rootDeviceName: '/dev/sda1', rootSnapshotGib: 8, publisher: 'canonical' as const };
    const scope = { slot: 0, windowStartMs: 0, generation: 0 };
    const token = (userData: string, target: Parameters<typeof createFleetInput>[2], changes = {}) =>
      clientToken(createFleetInput({ ...config, ...changes }, userData, target), scope);
    const tokens = [
      token('dXNlcg==', { slot: 0, capacityType: 'on-demand', image }),
      token('dXNlcg==', { slot: 0, capacityType: 'spot', image }),
      token('dXNlcg==', { slot: 0, capacityType: 'on-demand', image: { ...image, imageId: 'ami-0fedcba9876543210' } }),
      token('b3RoZXI=', { slot: 0, capacityType: 'on-demand', image }),
      token('dXNlcg==', { slot: 0, capacityType: 'on-demand', image }, { launchTemplate: { ...config.launchTemplate, version: '2' } }),
      token('dXNlcg==', { slot: 0, capacityType: 'on-demand', image }, { rootVolumeGib: 50 }),
    ];
    expect(new Set(tokens).size).toBe(tokens.length);

    fake.refuseCalls(() => ec2Error('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).'));
    const { tick, line } = orchestrator(WITH_FALLBACKS, clock);
    await expect(tick({})).rejects.toThrow('Arguments on this idempotent request are inconsistent');
    expect(line('tick_failed')).toMatchObject({ level: 'error' });
  });

  it('an error code CreateFleet lists that the orchestrator does not know fails the tick loudly, naming it', async () => {
    fake.refusePools({}, () => ({ code: 'InvalidFleetConfiguration', message: 'The fleet configuration is invalid.' }));
    const { tick, line } = orchestrator({}, clock);

    await expect(tick({})).rejects.toThrow(/listed InvalidFleetConfiguration: The fleet configuration is invalid\./);
    expect(line('tick_failed')).toMatchObject({ level: 'error', err: expect.objectContaining({ type: 'FleetLaunchError' }) });
  });

  // Source: Canonical, "Find Ubuntu images on AWS", "Ownership verification": Canonical's images are owned
  // by 099720109477 in the aws partition. The bootstrap needs Ubuntu on x86_64 (the ubuntu user, linux-x64 Node.js).
  it('an image that is not x86_64 Ubuntu from Canonical or AWS Deep Learning Base is refused before any launch, naming what is wrong', async () => {
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
          "its owner is 137112412989, not Canonical (099720109477 in the aws partition), AWS's Deep Learning AMIs (898082745236) or this account (123456789012): the bootstrap needs Ubuntu; " +
          'its architecture is arm64, not x86_64: the bootstrap installs the linux-x64 Node.js build',
        attempts: [],
      },
    ]);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'error', kind: 'unsupported-image' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'unsupported-image', count: 1 }]);
  });

  // The bootstrap signs S3 requests with curl --aws-sigv4 and its own x-amz-* headers: curl signs those only
  // from 7.86/7.87, Ubuntu 22.04 ships 7.81 and 20.04 7.68. Such a worker could not fetch its runtime, nor write
  // the boot-failure marker, so every tick would launch another. The check used to accept any Ubuntu release.
  it.each([
    { case: 'Ubuntu 22.04', name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261101', release: '22.04' },
    { case: 'Ubuntu 20.04', name: 'ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20250101', release: '20.04' },
  ])('an image of $case is refused: its curl cannot sign the bootstrap\'s requests', async ({ name, release }) => {
    fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, images: [{ ...UBUNTU_IMAGE, Name: name }] });
    fake.install(mocks.ec2);
    const { tick } = orchestrator({}, clock);

    const summary = await tick({});

    expect(fake.requests).toHaveLength(0);
    expect(summary.failures[0]).toMatchObject({
      kind: 'unsupported-image',
      message: expect.stringContaining(`it is Ubuntu ${release}, older than 24.04: its curl cannot sign the bootstrap's S3 requests (curl 7.87.0 or later is needed)`),
    });
  });
});
