import {
  CreateFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type EC2ClientResolvedConfig,
  EC2ServiceException,
  type FleetLaunchTemplateOverridesRequest,
  type Image,
  type Instance,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * An in-memory EC2 with the behaviours moto lacks (facts.md, "What AWS does that moto does not"), for the
 * orchestrator's concurrency, failover and purchase tests:
 * - Instant CreateFleet with client tokens: the same token and parameters answer what the first request answered
 *   and launch nothing ("If you retry a request that completed successfully using the same client token and the
 *   same parameters, the retry succeeds without performing any further actions": AWS, "Ensuring idempotency in
 *   Amazon EC2 API requests"); other parameters give IdempotentParameterMismatch (runs-on/runs-on#251 met it
 *   retrying a Spot fleet as on-demand with the same token). A fleet request names every subnet, so its
 *   idempotency is regional. Whether EC2 evaluates again a token whose fleet launched nothing is undocumented;
 *   `replayEmptyFleets` picks either answer.
 * - Pools: on-demand takes the overrides by Priority (`prioritized`), Spot in the order given (the fake has no
 *   prices). A pool the test refuses is listed in the response's Errors with the test's code and message, and the
 *   next pool is tried; one instance fills the target. So a response can hold an instance and errors, or only
 *   errors (no capacity in any pool), as AWS's do (osbuild/osbuild-composer#4507).
 * - Errors of the whole call (permissions, throttling) are thrown, as the SDK throws them.
 * - DescribeInstances is eventually consistent: an instance is listed only `visibilityLagMs` after its
 *   launch, by the test's clock.
 * Every call first yields to the event loop a seeded-random number of times, so concurrent runs interleave
 * in varied, reproducible orders.
 */
export interface FakeEc2Options {
  /** subnet ID → availability zone */
  readonly subnets: Readonly<Record<string, string>>;
  /** The clock the orchestrator under test also reads. */
  readonly clock: () => number;
  /** @default 5000 — milliseconds after a launch before DescribeInstances lists the instance */
  readonly visibilityLagMs?: number;
  /** @default [] — what DescribeImages knows */
  readonly images?: readonly Image[];
  /** @default 1 — seeds the interleaving */
  readonly seed?: number;
  /**
   * @default false — a repeated token whose fleet launched nothing is evaluated again. true: EC2 answers the
   * recorded empty fleet again, launching nothing (the other reading of the idempotency rule).
   */
  readonly replayEmptyFleets?: boolean;
}

export interface FakeInstance {
  readonly instanceId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly capacityType: 'spot' | 'on-demand';
  readonly launchedAtMs: number;
  readonly tags: readonly Tag[];
  readonly userData?: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
}

/** Which pools a refusal applies to; an absent field matches any. */
export interface PoolMatch {
  readonly subnetId?: string;
  readonly instanceType?: string;
  readonly capacityType?: 'spot' | 'on-demand';
}

/** What CreateFleet lists for a refused pool. */
export interface PoolError {
  readonly code: string;
  readonly message: string;
}

type PoolRefusal = (pool: Pool) => PoolError | undefined;
type CallRefusal = (input: CreateFleetCommandInput) => Error | undefined;

interface Pool {
  readonly subnetId: string;
  readonly instanceType: string;
  readonly capacityType: 'spot' | 'on-demand';
  readonly availabilityZone: string;
  readonly overrides: FleetLaunchTemplateOverridesRequest;
}

export class FakeEc2 {
  readonly instances: FakeInstance[] = [];
  /** Every CreateFleet request received, in order of arrival. */
  readonly requests: CreateFleetCommandInput[] = [];
  private readonly byToken = new Map<string, { parameters: string; answer: CreateFleetCommandOutput }>();
  private readonly poolRefusals: PoolRefusal[] = [];
  private readonly callRefusals: CallRefusal[] = [];
  private fleets = 0;
  private random: () => number;

  constructor(private readonly options: FakeEc2Options) {
    this.random = seededRandom(options.seed ?? 1);
  }

  /**
   * Lists the matching pools in CreateFleet's Errors with what `error()` returns (nothing: launch there) until the
   * refusal is removed with the returned function.
   */
  refusePools(match: PoolMatch, error: (pool: { readonly availabilityZone: string; readonly instanceType: string; readonly subnetId: string }) => PoolError | undefined): () => void {
    const refusal: PoolRefusal = (pool) =>
      (match.subnetId === undefined || match.subnetId === pool.subnetId) &&
      (match.instanceType === undefined || match.instanceType === pool.instanceType) &&
      (match.capacityType === undefined || match.capacityType === pool.capacityType)
        ? error(pool)
        : undefined;
    this.poolRefusals.push(refusal);
    return () => this.poolRefusals.splice(this.poolRefusals.indexOf(refusal), 1);
  }

  /** Throws `error()` for matching whole calls (nothing: answer normally), until removed. */
  refuseCalls(error: (input: CreateFleetCommandInput) => Error | undefined): () => void {
    this.callRefusals.push(error);
    return () => this.callRefusals.splice(this.callRefusals.indexOf(error), 1);
  }

  /** Pending or running: what really runs, whatever DescribeInstances shows yet. */
  active(): FakeInstance[] {
    return this.instances.filter((instance) => instance.state === 'pending' || instance.state === 'running');
  }

  terminate(instanceId: string): void {
    const instance = this.instances.find((candidate) => candidate.instanceId === instanceId);
    if (!instance) throw new Error(`no instance ${instanceId}`);
    instance.state = 'terminated';
  }

  /** Routes the mocked EC2 client's calls here. */
  install(ec2Mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, EC2ClientResolvedConfig>): void {
    ec2Mock.on(CreateFleetCommand).callsFake((input: CreateFleetCommandInput) => this.createFleet(input));
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => this.describeInstances(input));
    ec2Mock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => this.describeImages(input));
  }

  async createFleet(input: CreateFleetCommandInput): Promise<CreateFleetCommandOutput> {
    await this.interleave();
    this.requests.push(input);
    if (input.Type !== 'instant') throw new Error('the orchestrator must launch instant fleets');
    if (!input.ClientToken) throw new Error('the orchestrator must always send a client token');
    if (input.TargetCapacitySpecification?.TotalTargetCapacity !== 1) throw new Error('one instance per call: one slot, one token');
    const parameters = stableJson({ ...input, ClientToken: undefined });
    const seen = this.byToken.get(input.ClientToken);
    if (seen && seen.parameters !== parameters) {
      throw ec2Error('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    }
    const launchedBefore = (seen?.answer.Instances ?? []).length > 0;
    if (seen && (launchedBefore || this.options.replayEmptyFleets)) return seen.answer;
    for (const refusal of this.callRefusals) {
      const error = refusal(input);
      if (error) throw error;
    }
    const answer = this.evaluate(input);
    this.byToken.set(input.ClientToken, { parameters, answer });
    return answer;
  }

  async describeInstances(input: DescribeInstancesCommandInput) {
    await this.interleave();
    const now = this.options.clock();
    const lag = this.options.visibilityLagMs ?? 5000;
    const listed = this.instances.filter(
      (instance) => now - instance.launchedAtMs >= lag && (input.Filters ?? []).every((filter) => matches(instance, filter.Name ?? '', filter.Values ?? [])),
    );
    return { Reservations: listed.map((instance) => ({ Instances: [this.describe(instance)] })) };
  }

  async describeImages(input: DescribeImagesCommandInput) {
    await this.interleave();
    const ids = input.ImageIds ?? [];
    const images = (this.options.images ?? []).filter((image) => ids.includes(image.ImageId ?? ''));
    if (images.length < ids.length) throw ec2Error('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);
    return { Images: images };
  }

  /** Tries the pools in the fleet's order until one launches: one instance is the whole target. */
  private evaluate(input: CreateFleetCommandInput): CreateFleetCommandOutput {
    const capacityType = input.TargetCapacitySpecification?.DefaultTargetCapacityType === 'spot' ? 'spot' : 'on-demand';
    const config = input.LaunchTemplateConfigs?.[0];
    const overrides = [...(config?.Overrides ?? [])];
    if (capacityType === 'on-demand') overrides.sort((a, b) => (a.Priority ?? Infinity) - (b.Priority ?? Infinity));
    const fleetId = `fleet-${(++this.fleets).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const errors: NonNullable<CreateFleetCommandOutput['Errors']> = [];
    for (const override of overrides) {
      const availabilityZone = this.options.subnets[override.SubnetId ?? ''];
      if (!availabilityZone) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${override.SubnetId}' does not exist`);
      const pool: Pool = { subnetId: override.SubnetId ?? '', instanceType: override.InstanceType ?? '', capacityType, availabilityZone, overrides: override };
      const refused = this.poolRefusals.map((refusal) => refusal(pool)).find((error) => error !== undefined);
      const launchTemplateAndOverrides = { LaunchTemplateSpecification: config?.LaunchTemplateSpecification, Overrides: override };
      if (refused) {
        errors.push({ ErrorCode: refused.code, ErrorMessage: refused.message, Lifecycle: capacityType, LaunchTemplateAndOverrides: launchTemplateAndOverrides });
        continue;
      }
      const instance: FakeInstance = {
        instanceId: `i-${(this.instances.length + 1).toString(16).padStart(17, '0')}`,
        subnetId: pool.subnetId,
        availabilityZone,
        instanceType: pool.instanceType,
        capacityType,
        launchedAtMs: this.options.clock(),
        tags: input.TagSpecifications?.find((spec) => spec.ResourceType === 'instance')?.Tags ?? [],
        userData: config?.LaunchTemplateSpecification?.LaunchTemplateSpecificationUserData,
        state: 'pending',
      };
      this.instances.push(instance);
      return {
        $metadata: {},
        FleetId: fleetId,
        Errors: errors,
        Instances: [{ InstanceIds: [instance.instanceId], InstanceType: pool.instanceType as Instance['InstanceType'], Lifecycle: capacityType, LaunchTemplateAndOverrides: launchTemplateAndOverrides }],
      };
    }
    return { $metadata: {}, FleetId: fleetId, Errors: errors, Instances: [] };
  }

  private describe(instance: FakeInstance): Instance {
    return {
      InstanceId: instance.instanceId,
      InstanceType: instance.instanceType as Instance['InstanceType'],
      SubnetId: instance.subnetId,
      Placement: { AvailabilityZone: instance.availabilityZone },
      ...(instance.capacityType === 'spot' ? { InstanceLifecycle: 'spot' as const } : {}),
      State: { Name: instance.state },
      Tags: [...instance.tags],
    };
  }

  private async interleave(): Promise<void> {
    const turns = Math.floor(this.random() * 4);
    for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** An EC2 error as the SDK raises it: `name` is the AWS error code. */
export function ec2Error(code: string, message: string, httpStatusCode = 400): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
}

/**
 * AWS's own answers for refused pools, as CreateFleet lists them (each quoted from a public report; the code is
 * what the orchestrator classifies, the message what its log shows).
 */
export const AwsPoolErrors = {
  /** On-demand, per zone (ansible-collections/amazon.aws#1038). */
  noOnDemandCapacity: (pool: { availabilityZone: string; instanceType: string }): PoolError => ({
    code: 'InsufficientInstanceCapacity',
    message: `We currently do not have sufficient ${pool.instanceType} capacity in the Availability Zone you requested (${pool.availabilityZone}). Our system will be working on provisioning additional capacity.`,
  }),
  /** Spot, from CreateFleet (osbuild/osbuild-composer#4507). */
  noSpotCapacity: (): PoolError => ({ code: 'InsufficientInstanceCapacity', message: 'There is no Spot capacity available that matches your request.' }),
  /** Spot, from CreateFleet (EC2 API reference, error codes; osbuild/osbuild-composer#4220). */
  unfulfillableSpot: (): PoolError => ({
    code: 'UnfulfillableCapacity',
    message: "At this time there isn't enough spare capacity to fulfill your request for Spot Instances.",
  }),
  /** A type the zone does not offer (ned1313/Getting-Started-Terraform#44). */
  unsupportedType: (pool: { availabilityZone: string; instanceType: string }): PoolError => ({
    code: 'Unsupported',
    message: `Your requested instance type (${pool.instanceType}) is not supported in your requested Availability Zone (${pool.availabilityZone}). Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f.`,
  }),
  /** The Spot vCPU quota (AWS, "Spot Instance quotas"). */
  spotQuota: (): PoolError => ({ code: 'MaxSpotInstanceCountExceeded', message: 'Max spot instance count exceeded' }),
  /** No AWSServiceRoleForEC2Spot (terraform-aws-modules/terraform-aws-eks#2670). */
  noSpotServiceLinkedRole: (): PoolError => ({
    code: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
    message: 'The provided credentials do not have permission to create the service-linked role for EC2 Spot Instances.',
  }),
} as const;

function matches(instance: FakeInstance, name: string, values: readonly string[]): boolean {
  if (name === 'instance-state-name') return values.includes(instance.state);
  if (name.startsWith('tag:')) return instance.tags.some((tag) => tag.Key === name.slice(4) && values.includes(tag.Value ?? ''));
  throw new Error(`the fake EC2 does not filter on ${name}`);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry !== null && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : 1)))
      : entry,
  );
}

/** mulberry32: small, seeded, good enough to vary interleavings reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
