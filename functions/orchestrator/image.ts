import type { Image } from '@aws-sdk/client-ec2';

/**
 * Canonical's account that publishes the Ubuntu images, per partition. Source: Canonical, "Find Ubuntu
 * images on AWS", section "Ownership verification" (documentation.ubuntu.com/aws): 099720109477 in the
 * default partition, 513442679011 in GovCloud, 837727238323 in China.
 */
const CANONICAL_OWNER_BY_PARTITION: Readonly<Record<string, string>> = {
  aws: '099720109477',
  'aws-us-gov': '513442679011',
  'aws-cn': '837727238323',
};

/** The bootstrap downloads the linux-x64 Node.js build and runs as the `ubuntu` user. */
const REQUIRED_ARCHITECTURE = 'x86_64';

/** The smallest root volume a worker gets; an image whose root snapshot is larger gets its size instead. */
export const ROOT_VOLUME_GIB = 8;

/** The partition of a region name: the part of ARNs and owner IDs that differs in China and GovCloud. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** What a launch takes from an image that passed the check. */
export interface LaunchImage {
  readonly imageId: string;
  /** The device the root volume is mapped on: `/dev/sda1` for Canonical's images, read rather than assumed. */
  readonly rootDeviceName: string;
  /** At least {@link ROOT_VOLUME_GIB}; more when the image's root snapshot is larger (RunInstances refuses less). */
  readonly rootVolumeGib: number;
}

/**
 * - `accepted`: the image is a Canonical x86_64 Linux EBS image the bootstrap can run on.
 * - `refused`: it is not; each problem names what is wrong. `lasting` is false when the answer can change
 *   (an image still pending, or not visible yet) and must not be cached.
 */
export type ImageVerdict =
  | { readonly verdict: 'accepted'; readonly image: LaunchImage }
  | { readonly verdict: 'refused'; readonly imageId: string; readonly problems: readonly string[]; readonly lasting: boolean };

/**
 * Checks the image DescribeImages returned (undefined: it returned none) against what the bootstrap assumes:
 * Ubuntu from Canonical (the `ubuntu` user, cloud-init, python3, curl), x86_64, not Windows, an EBS root
 * device, available. `ownAccount`: the deployment's own account, whose images are trusted too: an image baked
 * from Canonical's Ubuntu with a command processor's tools installed (docs/processors.md, "A baked image").
 */
export function checkImage(imageId: string, image: Image | undefined, region: string, ownAccount?: string): ImageVerdict {
  if (!image) {
    return {
      verdict: 'refused',
      imageId,
      problems: ['DescribeImages does not return it: it does not exist in this region, was deregistered, or is not shared with this account'],
      lasting: false,
    };
  }
  const partition = partitionOf(region);
  const canonical = CANONICAL_OWNER_BY_PARTITION[partition];
  const lasting: string[] = [];
  if (image.OwnerId !== canonical && (ownAccount === undefined || image.OwnerId !== ownAccount)) {
    const own = ownAccount === undefined ? '' : ` or this account (${ownAccount})`;
    lasting.push(`its owner is ${image.OwnerId ?? 'unknown'}, not Canonical (${canonical} in the ${partition} partition)${own}: the bootstrap needs Ubuntu`);
  }
  if (image.Architecture !== REQUIRED_ARCHITECTURE) {
    lasting.push(`its architecture is ${image.Architecture ?? 'unknown'}, not ${REQUIRED_ARCHITECTURE}: the bootstrap installs the linux-x64 Node.js build`);
  }
  // DescribeImages sets Platform to "windows" (the SDK's enum spells it "Windows"), PlatformDetails "Windows…".
  if (/windows/i.test(`${image.Platform ?? ''} ${image.PlatformDetails ?? ''}`)) {
    lasting.push('it is a Windows image: the bootstrap is a bash script');
  }
  if (image.RootDeviceType !== 'ebs') {
    lasting.push(`its root device type is ${image.RootDeviceType ?? 'unknown'}, not ebs: the launch maps an encrypted gp3 root volume`);
  }
  if (!image.RootDeviceName) lasting.push('it names no root device');
  const transient = image.State === 'available' ? [] : [`its state is ${image.State ?? 'unknown'}, not available`];
  const problems = [...lasting, ...transient];
  if (problems.length > 0) return { verdict: 'refused', imageId, problems, lasting: transient.length === 0 };

  const rootSnapshotGib = image.BlockDeviceMappings?.find((mapping) => mapping.DeviceName === image.RootDeviceName)?.Ebs?.VolumeSize;
  return {
    verdict: 'accepted',
    image: {
      imageId,
      rootDeviceName: image.RootDeviceName as string,
      rootVolumeGib: Math.max(ROOT_VOLUME_GIB, rootSnapshotGib ?? 0),
    },
  };
}
