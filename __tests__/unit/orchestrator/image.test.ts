import type { Image } from '@aws-sdk/client-ec2';
import { checkImage, partitionOf } from '../../../functions/orchestrator/image';
import { UBUNTU_IMAGE } from '../../support/orchestrator-kit';

const ID = UBUNTU_IMAGE.ImageId as string;

describe('checkImage', () => {
  it('accepts Canonical’s x86_64 Ubuntu image and takes the root device from it', () => {
    expect(checkImage(ID, UBUNTU_IMAGE, 'us-east-1')).toEqual({
      verdict: 'accepted',
      image: { imageId: ID, rootDeviceName: '/dev/sda1', rootVolumeGib: 8 },
    });
  });

  it('gives the root volume the size of a larger root snapshot', () => {
    const image = { ...UBUNTU_IMAGE, BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 30 } }] };

    expect(checkImage(ID, image, 'us-east-1')).toMatchObject({ image: { rootVolumeGib: 30 } });
  });

  it.each<{ case: string; image: Image; region?: string; problem: string }>([
    {
      case: 'an Amazon Linux image',
      image: { ...UBUNTU_IMAGE, OwnerId: '137112412989' },
      problem: 'its owner is 137112412989, not Canonical (099720109477 in the aws partition): the bootstrap needs Ubuntu',
    },
    {
      case: 'a Canonical image from the default partition in GovCloud',
      image: UBUNTU_IMAGE,
      region: 'us-gov-west-1',
      problem: 'its owner is 099720109477, not Canonical (513442679011 in the aws-us-gov partition): the bootstrap needs Ubuntu',
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
    expect(checkImage(ID, { ...UBUNTU_IMAGE, OwnerId: '111122223333' }, 'us-east-1', '111122223333')).toMatchObject({ verdict: 'accepted' });
    expect(checkImage(ID, { ...UBUNTU_IMAGE, OwnerId: '444455556666' }, 'us-east-1', '111122223333')).toMatchObject({
      verdict: 'refused',
      problems: ['its owner is 444455556666, not Canonical (099720109477 in the aws partition) or this account (111122223333): the bootstrap needs Ubuntu'],
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
