import type { Image } from '@aws-sdk/client-ec2';
import { MIN_CURL_VERSION, MIN_UBUNTU_RELEASE } from '../../contracts';

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

/**
 * The account that publishes the AWS Deep Learning AMIs (owner alias `amazon`) in the default partition, as
 * DescribeImages reports it for "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04)". Not known for
 * GovCloud and China: there only Canonical's images are accepted (config/capacity.ts refuses `gpu` there too).
 */
const DEEP_LEARNING_OWNER_BY_PARTITION: Readonly<Record<string, string>> = {
  aws: '898082745236',
};

/**
 * The Ubuntu release in an image's name: Canonical's `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-…`
 * (also `ubuntu-minimal/…`, `ubuntu-pro-server/…`), AWS's `Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04) …`.
 */
const CANONICAL_NAME = /^ubuntu[\w-]*\/images\/[\w-]+\/ubuntu-[a-z]+-(\d{2}\.\d{2})-amd64-/;
const DEEP_LEARNING_BASE_NAME = /^Deep Learning Base OSS Nvidia Driver GPU AMI \(Ubuntu (\d{2}\.\d{2})\)/;

/** The bootstrap downloads the linux-x64 Node.js build and runs as the `ubuntu` user. */
const REQUIRED_ARCHITECTURE = 'x86_64';

/** The partition of a region name: the part of ARNs and owner IDs that differs in China and GovCloud. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** What a launch takes from an image that passed the check. */
export interface LaunchImage {
  readonly imageId: string;
  /** The device the root volume is mapped on: `/dev/sda1` for Canonical's and AWS's Ubuntu images, read rather than assumed. */
  readonly rootDeviceName: string;
  /** The image's root snapshot size; the launch's root volume is never smaller (EC2 refuses less). 0 when unknown. */
  readonly rootSnapshotGib: number;
  /** Who published it: Canonical, AWS's Deep Learning AMIs, or the deployment's own account (a baked image). */
  readonly publisher: ImagePublisher;
}

export type ImagePublisher = 'canonical' | 'deep-learning' | 'own-account';

/**
 * - `accepted`: the image is an x86_64 Ubuntu 24.04-or-later EBS image, from Canonical or AWS's Deep Learning
 *   Base GPU line (or baked in the deployment's own account), that the bootstrap can run on.
 * - `refused`: it is not; each problem names what is wrong. `lasting` is false when the answer can change
 *   (an image still pending, or not visible yet) and must not be cached.
 */
export type ImageVerdict =
  | { readonly verdict: 'accepted'; readonly image: LaunchImage }
  | { readonly verdict: 'refused'; readonly imageId: string; readonly problems: readonly string[]; readonly lasting: boolean };

/**
 * Checks the image DescribeImages returned (undefined: it returned none) against what the bootstrap assumes:
 * Ubuntu (the `ubuntu` user, cloud-init, python3, and a curl that signs S3 requests: 24.04 or later) from Canonical
 * or AWS's Deep Learning Base GPU line, x86_64, not Windows, an EBS root device, available. `ownAccount`: the
 * deployment's own account, whose images are trusted too: an image baked from one of those with a command
 * processor's tools installed (docs/processors.md, "A baked image"). Its name is the baker's choice, so its
 * release is not read from it: the bootstrap's own curl check stops an image too old.
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
  const deepLearning = DEEP_LEARNING_OWNER_BY_PARTITION[partition];
  const lasting: string[] = [];
  const publisher = publisherOf(image, canonical, deepLearning, ownAccount);
  if (publisher === undefined) {
    lasting.push(
      `its owner is ${image.OwnerId ?? 'unknown'}, not ${trustedOwners(partition, canonical, deepLearning, ownAccount)}: the bootstrap needs Ubuntu`,
    );
  } else if (publisher !== 'own-account') {
    const release = (publisher === 'canonical' ? CANONICAL_NAME : DEEP_LEARNING_BASE_NAME).exec(image.Name ?? '')?.[1];
    if (release === undefined) {
      lasting.push(
        publisher === 'canonical'
          ? `its name "${image.Name ?? ''}" does not say which Ubuntu release it is: the bootstrap needs ${MIN_UBUNTU_RELEASE} or later`
          : `its name "${image.Name ?? ''}" is not a Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu …): the bootstrap needs that line's Ubuntu`,
      );
    } else if (release < MIN_UBUNTU_RELEASE) {
      lasting.push(
        `it is Ubuntu ${release}, older than ${MIN_UBUNTU_RELEASE}: its curl cannot sign the bootstrap's S3 requests (curl ${MIN_CURL_VERSION} or later is needed)`,
      );
    }
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
    image: { imageId, rootDeviceName: image.RootDeviceName as string, rootSnapshotGib: rootSnapshotGib ?? 0, publisher: publisher as ImagePublisher },
  };
}

/** "Canonical (…), AWS's Deep Learning AMIs (…) or this account (…)": the owners whose images are accepted. */
function trustedOwners(partition: string, canonical: string | undefined, deepLearning: string | undefined, ownAccount: string | undefined): string {
  const owners = [
    `Canonical (${canonical} in the ${partition} partition)`,
    ...(deepLearning === undefined ? [] : [`AWS's Deep Learning AMIs (${deepLearning})`]),
    ...(ownAccount === undefined ? [] : [`this account (${ownAccount})`]),
  ];
  return owners.length === 1 ? owners[0] : `${owners.slice(0, -1).join(', ')} or ${owners.at(-1)}`;
}

function publisherOf(
  image: Image,
  canonical: string | undefined,
  deepLearning: string | undefined,
  ownAccount: string | undefined,
): ImagePublisher | undefined {
  if (image.OwnerId === undefined) return undefined;
  if (image.OwnerId === canonical) return 'canonical';
  if (image.OwnerId === deepLearning) return 'deep-learning';
  if (image.OwnerId === ownAccount) return 'own-account';
  return undefined;
}
