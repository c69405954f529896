import { createHash } from 'node:crypto';
import type { _InstanceType, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import type { OrchestratorConfig } from './config';

/** Ubuntu AMIs boot from /dev/sda1; mapping it here replaces the root volume's settings. */
export const ROOT_DEVICE_NAME = '/dev/sda1';

/**
 * The size of Canonical's Ubuntu 24.04 root snapshot. The worker needs only Node.js, one bundle and its
 * log; an AMI with a larger snapshot would need this raised (RunInstances refuses a smaller volume).
 */
export const ROOT_VOLUME_GIB = 8;

/**
 * IMDS answers only the instance itself (one network hop). The worker runs directly on the host, not in
 * a container, so nothing needs a second hop, and a hop limit of 1 keeps the credentials away from
 * anything forwarding requests.
 */
export const METADATA_HOP_LIMIT = 1;

/** EC2 accepts client tokens of up to 64 ASCII characters. */
const MAX_CLIENT_TOKEN_LENGTH = 64;

/**
 * The idempotency token of one launch: the same scheduled event and the same worker slot always give the
 * same token, so a retried or duplicated invocation of one tick gets the instance it already launched
 * back from EC2 instead of a second one. The event ID is hashed so any ID fits the 64-character limit.
 */
export function clientToken(eventId: string, slot: number): string {
  const digest = createHash('sha256').update(eventId).digest('hex').slice(0, 48);
  const token = `tick-${digest}-${slot}`;
  if (token.length > MAX_CLIENT_TOKEN_LENGTH) throw new RangeError(`worker slot ${slot} makes the client token too long`);
  return token;
}

/** The tags of a worker and of its root volume: the worker tag, `Name`, then the project's tags. */
export function workerTags(config: OrchestratorConfig): Tag[] {
  return [
    { Key: config.workerTag.key, Value: config.workerTag.value },
    { Key: 'Name', Value: config.workerName },
    ...Object.entries(config.workerTags).map(([Key, Value]) => ({ Key, Value })),
  ];
}

/** The RunInstances request for one worker slot of one tick. */
export function runInstancesInput(
  config: OrchestratorConfig,
  userDataBase64: string,
  token: string,
): RunInstancesCommandInput {
  const tags = workerTags(config);
  return {
    MinCount: 1,
    MaxCount: 1,
    ClientToken: token,
    ImageId: config.imageId,
    // Validated as a type name; EC2 itself knows which types exist in the region.
    InstanceType: config.instanceType as _InstanceType,
    // The subnet maps public IPs on launch: the worker reaches nodejs.org and the AWS APIs without a NAT.
    SubnetId: config.subnetId,
    SecurityGroupIds: [config.securityGroupId],
    IamInstanceProfile: { Name: config.instanceProfileName },
    ...(config.keyName === undefined ? {} : { KeyName: config.keyName }),
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: METADATA_HOP_LIMIT },
    // The bootstrap powers off when the worker exits: that must end the instance's billing, not stop it.
    InstanceInitiatedShutdownBehavior: 'terminate',
    BlockDeviceMappings: [
      {
        DeviceName: ROOT_DEVICE_NAME,
        Ebs: { VolumeType: 'gp3', VolumeSize: ROOT_VOLUME_GIB, Encrypted: true, DeleteOnTermination: true },
      },
    ],
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
    UserData: userDataBase64,
  };
}
