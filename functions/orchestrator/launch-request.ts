import type { _InstanceType, CreateFleetCommandInput, FleetLaunchTemplateOverridesRequest, Tag } from '@aws-sdk/client-ec2';
import { CapacityType, WORKER_LAUNCH_TOKEN_TAG_KEY, WORKER_PURCHASE_TAG_KEY, WORKER_SLOT_TAG_KEY } from '../../contracts';
import type { OrchestratorConfig } from './config';
import type { LaunchImage } from './image';

/**
 * IMDS answers only the instance itself (one network hop). The worker runs directly on the host, not in
 * a container, so nothing needs a second hop, and a hop limit of 1 keeps the credentials away from
 * anything forwarding requests. The launch template says the same; the request repeats it so the launch's
 * IMDSv2 condition (ec2:MetadataHttpTokens) reads it from the request itself.
 */
export const METADATA_HOP_LIMIT = 1;

/** One capacity pool a launch offers EC2: a subnet (so an availability zone) and an instance type. */
export interface LaunchPool {
  readonly subnetId: string;
  readonly instanceType: string;
}

/**
 * Every pool a launch offers, in preference order: the preferred type in each subnet (the preferred subnet
 * first), then each other type in each subnet. On-demand takes them in this order (`prioritized`); Spot picks by
 * price and capacity (`price-capacity-optimized`).
 */
export function launchPools(config: Pick<OrchestratorConfig, 'subnetId' | 'fallbackSubnetIds' | 'instanceType' | 'fallbackInstanceTypes'>): LaunchPool[] {
  const subnets = [config.subnetId, ...config.fallbackSubnetIds];
  return [config.instanceType, ...config.fallbackInstanceTypes].flatMap((instanceType) => subnets.map((subnetId) => ({ subnetId, instanceType })));
}

/** The tags of every worker: the worker tag, `Name`, then the project's tags. */
export function workerTags(config: OrchestratorConfig): Tag[] {
  return [
    { Key: config.workerTag.key, Value: config.workerTag.value },
    { Key: 'Name', Value: config.workerName },
    ...Object.entries(config.workerTags).map(([Key, Value]) => ({ Key, Value })),
  ];
}

/** The parts of one launch that vary between its calls. */
export interface LaunchTarget {
  readonly slot: number;
  readonly capacityType: CapacityType;
  readonly image: LaunchImage;
}

/**
 * The CreateFleet request (type `instant`, one instance) for one slot and capacity type, without its client token
 * (withClientToken adds it). The launch template holds what never varies (launch template ID and version from the
 * configuration); each pool overrides the image, the type, the subnet and the root volume. The user data travels
 * with the request (LaunchTemplateSpecificationUserData, instant fleets only), so the token covers it.
 */
export function createFleetInput(config: OrchestratorConfig, userDataBase64: string, target: LaunchTarget): CreateFleetCommandInput {
  const spot = target.capacityType === CapacityType.spot;
  const rootVolume = {
    DeviceName: target.image.rootDeviceName,
    // Never smaller than the image's root snapshot: EC2 refuses that.
    Ebs: { VolumeType: 'gp3' as const, VolumeSize: Math.max(config.rootVolumeGib, target.image.rootSnapshotGib), Encrypted: true, DeleteOnTermination: true },
  };
  const overrides: FleetLaunchTemplateOverridesRequest[] = launchPools(config).map((pool, index) => ({
    // The checked image's ID, never `resolve:ssm:`: the image launched is the image checked, and the parameters,
    // so the client token, stay the same while the parameter is unchanged.
    ImageId: target.image.imageId,
    // Validated as a type name; EC2 itself knows which types exist in the region.
    InstanceType: pool.instanceType as _InstanceType,
    // The subnets map public IPs on launch: the worker reaches the AWS APIs without a NAT.
    SubnetId: pool.subnetId,
    BlockDeviceMappings: [rootVolume],
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: METADATA_HOP_LIMIT },
    // Only on-demand reads priorities (`prioritized`); Spot ignores them for price-capacity-optimized.
    ...(spot ? {} : { Priority: index }),
  }));
  const tags = workerTags(config);
  return {
    Type: 'instant',
    LaunchTemplateConfigs: [
      {
        LaunchTemplateSpecification: { LaunchTemplateId: config.launchTemplate.id, Version: config.launchTemplate.version, LaunchTemplateSpecificationUserData: userDataBase64 },
        Overrides: overrides,
      },
    ],
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: target.capacityType },
    // AWS: price-capacity-optimized "is the best choice for most Spot workloads"; on-demand follows the priorities.
    ...(spot ? { SpotOptions: { AllocationStrategy: 'price-capacity-optimized' as const } } : { OnDemandOptions: { AllocationStrategy: 'prioritized' as const } }),
    TagSpecifications: [
      // The slot tag tells the next runs which slot this worker holds (slots.ts); the purchase tag what it costs.
      {
        ResourceType: 'instance',
        Tags: [...tags, { Key: WORKER_SLOT_TAG_KEY, Value: String(target.slot) }, { Key: WORKER_PURCHASE_TAG_KEY, Value: target.capacityType }],
      },
      // The fleet carries the worker tag so the role may create it (aws:RequestTag in modules/ec2).
      { ResourceType: 'fleet', Tags: [{ Key: config.workerTag.key, Value: config.workerTag.value }] },
    ],
  };
}

/**
 * The request with its client token, also written on the instance as the launch-token tag: an instance a fleet
 * launches does not carry the request's token as its own ClientToken, and the next runs must see which tokens
 * are used up (launch-token.ts).
 */
export function withClientToken(input: CreateFleetCommandInput, token: string): CreateFleetCommandInput {
  return {
    ...input,
    ClientToken: token,
    TagSpecifications: (input.TagSpecifications ?? []).map((spec) =>
      spec.ResourceType === 'instance' ? { ...spec, Tags: [...(spec.Tags ?? []), { Key: WORKER_LAUNCH_TOKEN_TAG_KEY, Value: token }] } : spec,
    ),
  };
}
