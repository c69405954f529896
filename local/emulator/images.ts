import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * The images the emulator serves (moto's MOTO_AMIS_PATH), described as DescribeImages describes AWS's. moto's own
 * list stops at Ubuntu 16.04, which the image check refuses (contracts/capacity.ts, MIN_UBUNTU_RELEASE), and has no
 * Deep Learning Base image: the local run and the emulator suites launch these instead. The IDs are made up and
 * never exist in AWS; the names, owners and root devices are the real images' (Canonical's and AWS's naming).
 */
export const EmulatorImages = {
  /** Canonical's Ubuntu Server 24.04 LTS amd64: what the local run launches (PIPELINE_AMI_ID). */
  ubuntu2404: 'ami-00000000002404c01',
  /** AWS's Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04). */
  deepLearning2404: 'ami-00000000002404d01',
  /** Canonical's Ubuntu Server 22.04: refused, its curl cannot sign the bootstrap's requests. */
  ubuntu2204: 'ami-00000000002204c01',
  /** A Windows Server image: refused, the bootstrap is bash. */
  windows: 'ami-000000000000a0001',
} as const;

const CANONICAL = '099720109477';
const AMAZON_DEEP_LEARNING = '898082745236';
const AMAZON_WINDOWS = '801119661308';

/** moto's Ami fields (moto/ec2/models/amis.py). */
const IMAGES = [
  {
    ami_id: EmulatorImages.ubuntu2404,
    owner_id: CANONICAL,
    name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101',
    description: 'Canonical, Ubuntu, 24.04, amd64 noble image',
    platform: null,
  },
  {
    ami_id: EmulatorImages.deepLearning2404,
    owner_id: AMAZON_DEEP_LEARNING,
    name: 'Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04) 20261101',
    description: 'Supported EC2 instances: G4dn, G5, G6, Gr6, G6e, G7, P4d, P4de, P5, P5e, P5en, P6-B200, P6-B300.',
    platform: null,
  },
  {
    ami_id: EmulatorImages.ubuntu2204,
    owner_id: CANONICAL,
    name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261101',
    description: 'Canonical, Ubuntu, 22.04, amd64 jammy image',
    platform: null,
  },
  {
    ami_id: EmulatorImages.windows,
    owner_id: AMAZON_WINDOWS,
    name: 'Windows_Server-2022-English-Full-Base-2026.11.12',
    description: 'Microsoft Windows Server 2022 Full Locale English AMI',
    platform: 'windows',
  },
].map((image) => ({
  ...image,
  state: 'available',
  public: true,
  image_location: 'amazon/getting-started',
  image_type: 'machine',
  architecture: 'x86_64',
  root_device_type: 'ebs',
  root_device_name: '/dev/sda1',
  virtualization_type: 'hvm',
  hypervisor: 'xen',
  sriov: 'simple',
}));

/** Writes the list where moto reads it at start (MOTO_AMIS_PATH) and returns that path. */
export function writeEmulatorImages(): string {
  const file = path.join(REPO_ROOT, 'node_modules', '.cache', 'rag-moto', 'amis.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(IMAGES, null, 2)}\n`);
  return file;
}
