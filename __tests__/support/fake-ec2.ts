import {
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type EC2ClientResolvedConfig,
  EC2ServiceException,
  type Image,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * An in-memory EC2 with the behaviours moto lacks (facts.md, "What AWS does that moto does not"), for the
 * orchestrator's concurrency and failover tests:
 * - RunInstances client tokens: the same token and parameters return the instance already launched; other
 *   parameters give IdempotentParameterMismatch; the token of a terminated instance gives
 *   IdempotentInstanceTerminated (boto/boto3#4406). Idempotency is zonal because every request names a
 *   subnet: the same token in another availability zone launches another instance (AWS, "Ensuring
 *   idempotency in Amazon EC2 API requests", RunInstances idempotency). A refused request binds its token to
 *   its parameters too: reused with other parameters it gives IdempotentParameterMismatch
 *   (ubicloud/ubicloud#5898); with the same parameters EC2 evaluates it again (inferred: EC2 asked the SDKs
 *   to retry InsufficientInstanceCapacity, aws/aws-sdk-ruby#2786, and an SDK retry resends the token).
 * - DescribeInstances is eventually consistent: an instance is listed only `visibilityLagMs` after its
 *   launch, by the test's clock.
 * - Refusals by subnet and instance type (Unsupported, InsufficientInstanceCapacity, …), set by the test.
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
}

export interface FakeInstance {
  readonly instanceId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly clientToken: string;
  readonly launchedAtMs: number;
  readonly tags: readonly Tag[];
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
}

type Refusal = (input: RunInstancesCommandInput, availabilityZone: string) => Error | undefined;

export class FakeEc2 {
  readonly instances: FakeInstance[] = [];
  /** Every RunInstances request received, in order of arrival. */
  readonly requests: RunInstancesCommandInput[] = [];
  private readonly byToken = new Map<string, { parameters: string; instance?: FakeInstance }>();
  private readonly refusals: Refusal[] = [];
  private random: () => number;

  constructor(private readonly options: FakeEc2Options) {
    this.random = seededRandom(options.seed ?? 1);
  }

  /**
   * Answers matching RunInstances requests with what `error()` returns (nothing: launch) until the refusal is
   * removed with the returned function.
   */
  refuse(
    match: { readonly subnetId?: string; readonly instanceType?: string },
    error: (availabilityZone: string, input: RunInstancesCommandInput) => Error | undefined,
  ): () => void {
    const refusal: Refusal = (input, availabilityZone) =>
      (match.subnetId === undefined || match.subnetId === input.SubnetId) && (match.instanceType === undefined || match.instanceType === input.InstanceType)
        ? error(availabilityZone, input)
        : undefined;
    this.refusals.push(refusal);
    return () => this.refusals.splice(this.refusals.indexOf(refusal), 1);
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
    ec2Mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => this.runInstances(input));
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => this.describeInstances(input));
    ec2Mock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => this.describeImages(input));
  }

  async runInstances(input: RunInstancesCommandInput) {
    await this.interleave();
    this.requests.push(input);
    const availabilityZone = this.options.subnets[input.SubnetId ?? ''];
    if (!availabilityZone) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${input.SubnetId}' does not exist`);
    if (!input.ClientToken) throw new Error('the orchestrator must always send a client token');
    const parameters = stableJson({ ...input, ClientToken: undefined });
    const key = `${availabilityZone} ${input.ClientToken}`;
    const seen = this.byToken.get(key);
    if (seen && seen.parameters !== parameters) {
      throw ec2Error('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    }
    if (seen?.instance) {
      if (seen.instance.state === 'terminated') {
        throw ec2Error(
          'IdempotentInstanceTerminated',
          'The client token you have provided is associated with a terminated instance. Please use a different client token.',
        );
      }
      return { Instances: [this.describe(seen.instance)] };
    }
    this.byToken.set(key, { parameters });
    for (const refusal of this.refusals) {
      const error = refusal(input, availabilityZone);
      if (error) throw error;
    }
    const instance: FakeInstance = {
      instanceId: `i-${(this.instances.length + 1).toString(16).padStart(17, '0')}`,
      subnetId: input.SubnetId ?? '',
      availabilityZone,
      instanceType: input.InstanceType ?? '',
      clientToken: input.ClientToken,
      launchedAtMs: this.options.clock(),
      tags: input.TagSpecifications?.find((spec) => spec.ResourceType === 'instance')?.Tags ?? [],
      state: 'pending',
    };
    this.instances.push(instance);
    this.byToken.set(key, { parameters, instance });
    return { Instances: [this.describe(instance)] };
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

  private describe(instance: FakeInstance): Instance {
    return {
      InstanceId: instance.instanceId,
      InstanceType: instance.instanceType as Instance['InstanceType'],
      SubnetId: instance.subnetId,
      Placement: { AvailabilityZone: instance.availabilityZone },
      ClientToken: instance.clientToken,
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
