import type { _InstanceType, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { WORKER_SLOT_TAG_KEY } from '../../contracts';
import type { OrchestratorConfig } from './config';
import type { LaunchImage } from './image';

/**
 * IMDS answers only the instance itself (one network hop). The worker runs directly on the host, not in
 * a container, so nothing needs a second hop, and a hop limit of 1 keeps the credentials away from
 * anything forwarding requests.
 */
export const METADATA_HOP_LIMIT = 1;

/** Where one launch attempt goes: a subnet (so an availability zone) and an instance type. */
export interface LaunchCandidate {
  readonly subnetId: string;
  readonly instanceType: string;
}

/**
 * Every subnet and instance type a launch may try, in order: the preferred subnet, then the fallback
 * subnets (other availability zones), first with the configured type, then with each fallback type.
 */
export function launchCandidates(config: Pick<OrchestratorConfig, 'subnetId' | 'fallbackSubnetIds' | 'instanceType' | 'fallbackInstanceTypes'>): LaunchCandidate[] {
  const subnets = [config.subnetId, ...config.fallbackSubnetIds];
  return [config.instanceType, ...config.fallbackInstanceTypes].flatMap((instanceType) =>
    subnets.map((subnetId) => ({ subnetId, instanceType })),
  );
}

/** The tags of every worker and its root volume: the worker tag, `Name`, then the project's tags. */
export function workerTags(config: OrchestratorConfig): Tag[] {
  return [
    { Key: config.workerTag.key, Value: config.workerTag.value },
    { Key: 'Name', Value: config.workerName },
    ...Object.entries(config.workerTags).map(([Key, Value]) => ({ Key, Value })),
  ];
}

/** The parts of one launch that vary between its attempts. */
export interface LaunchTarget {
  readonly slot: number;
  readonly candidate: LaunchCandidate;
  readonly image: LaunchImage;
}

/** The RunInstances request for one slot and candidate, without its client token (launch-token.ts adds it). */
export function runInstancesInput(config: OrchestratorConfig, userDataBase64: string, target: LaunchTarget): RunInstancesCommandInput {
  const tags = workerTags(config);
  return {
    MinCount: 1,
    MaxCount: 1,
    // The checked image's ID, never `resolve:ssm:`: the image launched is the image checked, and the
    // parameters, so the client token, stay the same while the parameter is unchanged.
    ImageId: target.image.imageId,
    // Validated as a type name; EC2 itself knows which types exist in the region.
    InstanceType: target.candidate.instanceType as _InstanceType,
    // The subnet maps public IPs on launch: the worker reaches the AWS APIs without a NAT.
    SubnetId: target.candidate.subnetId,
    SecurityGroupIds: [config.securityGroupId],
    IamInstanceProfile: { Name: config.instanceProfileName },
    ...(config.keyName === undefined ? {} : { KeyName: config.keyName }),
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: METADATA_HOP_LIMIT },
    // The bootstrap powers off when the worker exits: that must end the instance's billing, not stop it.
    InstanceInitiatedShutdownBehavior: 'terminate',
    BlockDeviceMappings: [
      {
        DeviceName: target.image.rootDeviceName,
        Ebs: { VolumeType: 'gp3', VolumeSize: target.image.rootVolumeGib, Encrypted: true, DeleteOnTermination: true },
      },
    ],
    TagSpecifications: [
      // The slot tag tells the next runs which slot this worker holds (slots.ts).
      { ResourceType: 'instance', Tags: [...tags, { Key: WORKER_SLOT_TAG_KEY, Value: String(target.slot) }] },
      { ResourceType: 'volume', Tags: tags },
    ],
    UserData: userDataBase64,
  };
}
