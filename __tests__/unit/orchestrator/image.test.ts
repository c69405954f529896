import type { Image } from '@aws-sdk/client-ec2';
import { checkImage, partitionOf } from '../../../functions/orchestrator/image';
import { UBUNTU_IMAGE } from '../../support/orchestrator-kit';

const ID = UBUNTU_IMAGE.ImageId as string;

/** AWS's Deep Learning Base GPU image, as DescribeImages describes it. */
const DEEP_LEARNING_IMAGE: Image = {
  ...UBUNTU_IMAGE,
  ImageId: 'ami-0123456789abcdef0',
  OwnerId: '898082745236',
  Name: 'Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04) 20261101',
  BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: 'snap-0fedcba9876543210', VolumeSize: 75, VolumeType: 'gp3' } }],
};

describe('checkImage', () => {
  it('accepts Canonical’s x86_64 Ubuntu 24.04 image and takes the root device from it', () => {
    expect(checkImage(ID, UBUNTU_IMAGE, 'us-east-1')).toEqual({
      verdict: 'accepted',
      image: { imageId: ID, rootDeviceName: '/dev/sda1', rootSnapshotGib: 8, publisher: 'canonical' },
    });
  });

  it('accepts AWS’s Deep Learning Base GPU image on Ubuntu 24.04, which carries the NVIDIA driver', () => {
    expect(checkImage(DEEP_LEARNING_IMAGE.ImageId!, DEEP_LEARNING_IMAGE, 'us-east-1')).toEqual({
      verdict: 'accepted',
      image: { imageId: DEEP_LEARNING_IMAGE.ImageId, rootDeviceName: '/dev/sda1', rootSnapshotGib: 75, publisher: 'deep-learning' },
    });
  });

  it.each([
    { case: 'Ubuntu Pro 24.04', name: 'ubuntu-pro-server/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-pro-server-20261101' },
    { case: 'Ubuntu minimal 24.04', name: 'ubuntu-minimal/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-minimal-20261101' },
    { case: 'Ubuntu 25.04', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-plucky-25.04-amd64-server-20261101' },
  ])('accepts $case from Canonical', ({ name }) => {
    expect(checkImage(ID, { ...UBUNTU_IMAGE, Name: name }, 'us-east-1').verdict).toBe('accepted');
  });

  it('reports a larger root snapshot, which the launch never goes below', () => {
    const image = { ...UBUNTU_IMAGE, BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 30 } }] };

    expect(checkImage(ID, image, 'us-east-1')).toMatchObject({ image: { rootSnapshotGib: 30 } });
  });

  it.each<{ case: string; image: Image; region?: string; problem: string }>([
    {
      case: 'an Amazon Linux image',
      image: { ...UBUNTU_IMAGE, OwnerId: '137112412989' },
      problem: "its owner is 137112412989, not Canonical (099720109477 in the aws partition) or AWS's Deep Learning AMIs (898082745236): the bootstrap needs Ubuntu",
    },
    {
      case: 'a Canonical image from the default partition in GovCloud',
      image: UBUNTU_IMAGE,
      region: 'us-gov-west-1',
      problem: 'its owner is 099720109477, not Canonical (513442679011 in the aws-us-gov partition): the bootstrap needs Ubuntu',
    },
    {
      case: 'Ubuntu 22.04, whose curl (7.81) cannot sign the bootstrap’s requests',
      image: { ...UBUNTU_IMAGE, Name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261101' },
      problem: "it is Ubuntu 22.04, older than 24.04: its curl cannot sign the bootstrap's S3 requests (curl 7.87.0 or later is needed)",
    },
    {
      case: 'Ubuntu 20.04, whose curl (7.68) has no --aws-sigv4',
      image: { ...UBUNTU_IMAGE, Name: 'ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20250101' },
      problem: "it is Ubuntu 20.04, older than 24.04: its curl cannot sign the bootstrap's S3 requests (curl 7.87.0 or later is needed)",
    },
    {
      case: 'a Canonical image whose name gives no release',
      image: { ...UBUNTU_IMAGE, Name: 'my-copy-of-ubuntu' },
      problem: 'its name "my-copy-of-ubuntu" does not say which Ubuntu release it is: the bootstrap needs 24.04 or later',
    },
    {
      case: 'a Deep Learning image on Ubuntu 22.04',
      image: { ...DEEP_LEARNING_IMAGE, Name: 'Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20261101' },
      problem: "it is Ubuntu 22.04, older than 24.04: its curl cannot sign the bootstrap's S3 requests (curl 7.87.0 or later is needed)",
    },
    {
      case: 'a Deep Learning image of another line (Amazon Linux)',
      image: { ...DEEP_LEARNING_IMAGE, Name: 'Deep Learning Base OSS Nvidia Driver GPU AMI (Amazon Linux 2023) 20261101' },
      problem: 'its name "Deep Learning Base OSS Nvidia Driver GPU AMI (Amazon Linux 2023) 20261101" is not a Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu …): the bootstrap needs that line\'s Ubuntu',
    },
    {
      case: 'a Deep Learning image in China, where its owner is not known',
      image: DEEP_LEARNING_IMAGE,
      region: 'cn-north-1',
      problem: 'its owner is 898082745236, not Canonical (837727238323 in the aws-cn partition): the bootstrap needs Ubuntu',
    },
    {
      case: 'an arm64 Ubuntu image',
      image: { ...UBUNTU_IMAGE, Architecture: 'arm64' },
      problem: 'its architecture is arm64, not x86_64: the bootstrap installs the linux-x64 Node.js build',
    },
    {
      case: 'a Windows image',
      image: { ...UBUNTU_IMAGE, Platform: 'windows' as Image['Platform'], PlatformDetails: 'Windows' },
      problem: 'it is a Windows image: the bootstrap is a bash script',
    },
    {
      case: 'an instance-store image',
      image: { ...UBUNTU_IMAGE, RootDeviceType: 'instance-store' },
      problem: 'its root device type is instance-store, not ebs: the launch maps an encrypted gp3 root volume',
    },
    { case: 'an image without a root device', image: { ...UBUNTU_IMAGE, RootDeviceName: undefined }, problem: 'it names no root device' },
  ])('refuses $case for good', ({ image, region, problem }) => {
    expect(checkImage(ID, image, region ?? 'us-east-1')).toEqual({ verdict: 'refused', imageId: ID, problems: [problem], lasting: true });
  });

  it.each<{ case: string; image: Image | undefined; problem: string }>([
    { case: 'a pending image', image: { ...UBUNTU_IMAGE, State: 'pending' }, problem: 'its state is pending, not available' },
    {
      case: 'an image DescribeImages does not return',
      image: undefined,
      problem: 'DescribeImages does not return it: it does not exist in this region, was deregistered, or is not shared with this account',
    },
  ])('refuses $case for now only', ({ image, problem }) => {
    expect(checkImage(ID, image, 'us-east-1')).toEqual({ verdict: 'refused', imageId: ID, problems: [problem], lasting: false });
  });

  it("accepts an image of the deployment's own account (a baked Ubuntu image), and names that account when it refuses another", () => {
    expect(checkImage(ID, { ...UBUNTU_IMAGE, OwnerId: '111122223333' }, 'us-east-1', '111122223333')).toMatchObject({
      verdict: 'accepted',
      image: { publisher: 'own-account' },
    });
    // The baker names it: no release is read from the name (the bootstrap checks curl itself).
    expect(checkImage(ID, { ...UBUNTU_IMAGE, OwnerId: '111122223333', Name: 'team-ocr-worker-7' }, 'us-east-1', '111122223333')).toMatchObject({ verdict: 'accepted' });
    expect(checkImage(ID, { ...UBUNTU_IMAGE, OwnerId: '444455556666' }, 'us-east-1', '111122223333')).toMatchObject({
      verdict: 'refused',
      problems: ["its owner is 444455556666, not Canonical (099720109477 in the aws partition), AWS's Deep Learning AMIs (898082745236) or this account (111122223333): the bootstrap needs Ubuntu"],
    });
  });

  it('names every problem at once', () => {
    const verdict = checkImage(ID, { ...UBUNTU_IMAGE, OwnerId: '801119661308', Architecture: 'arm64', Platform: 'windows' as Image['Platform'] }, 'us-east-1');

    expect(verdict.verdict === 'refused' && verdict.problems).toHaveLength(3);
  });
});

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-3', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-east-1', 'aws-us-gov'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});
