import {
  IMAGE_PARAMETERS,
  INTERRUPTION_RETRIES,
  MIN_UBUNTU_RELEASE,
  PURCHASE_OPTIONS,
  PurchaseOption,
  ROOT_VOLUME_GIB,
  WORKER_IMAGES,
  WorkerImage,
} from '../contracts/capacity';
import { INSTANCE_TYPE, isNotX86Linux } from '../contracts/instance-types';
import { ConfigError, type Env, EnvReader, problem } from '../runtime/env';
import { PIPELINE_CONFIG_FILE } from './config-file';

/**
 * The capacity workers run on, as written in pipeline.config.ts (`capacity`). Every field is optional; the
 * `PIPELINE_*` variables named below override a field for one deployment.
 */
export interface CapacityDeclaration {
  /**
   * x86_64 instance types, preferred first. Every launch offers EC2 all of them in every zone: on-demand takes
   * them in this order, Spot picks the pool with the best price and capacity (AWS recommends being "flexible
   * across at least 10 instance types" for Spot). `PIPELINE_INSTANCE_TYPE` and
   * `PIPELINE_FALLBACK_INSTANCE_TYPES` override the list for one deployment.
   * @default ['t3.micro']
   */
  readonly instanceTypes?: readonly string[];
  /**
   * `on-demand`, `spot`, or `spot-then-on-demand` (Spot, and on-demand in the same tick when no Spot pool has
   * capacity). `PIPELINE_PURCHASE_OPTION` overrides it for one deployment.
   * @default 'on-demand'
   */
  readonly purchaseOption?: PurchaseOption;
  /**
   * `ubuntu` (Canonical's Ubuntu Server 24.04) or `gpu` (the AWS Deep Learning Base OSS Nvidia Driver GPU AMI on
   * Ubuntu 24.04, which NVIDIA GPU types need). `PIPELINE_AMI_ID` / `PIPELINE_AMI_SSM_PARAMETER` override it.
   * @default 'ubuntu'
   */
  readonly image?: WorkerImage;
  /**
   * The root volume, in GiB (gp3, encrypted). A launch uses the image's root snapshot size when that is larger.
   * The worker's scratch space is on it (docs/capacity.md, "Disk").
   * @default 8
   */
  readonly rootVolumeGib?: number;
  /**
   * After a worker's Spot interruption, launch on-demand for 30 minutes (ON_DEMAND_AFTER_INTERRUPTION_MS), so
   * the interrupted rows' retries run on capacity that is not reclaimed. Only with a Spot purchase option.
   * @default false
   */
  readonly onDemandAfterInterruption?: boolean;
  /**
   * How many interruptions a row's work survives without spending one of the work queue's receives (beyond it,
   * an interruption counts like a crash toward maxReceiveCount).
   * @default 5
   */
  readonly interruptionRetries?: number;
}

/** The capacity settings, checked, defaults filled, environment overrides applied. */
export interface CapacitySettings {
  /** Preferred first; at least one. */
  readonly instanceTypes: readonly string[];
  readonly purchaseOption: PurchaseOption;
  readonly image: WorkerImage;
  /** What the orchestrator launches: `ami-…`, or `resolve:ssm:<parameter>`, resolved and checked at each launch. */
  readonly amiId: string;
  /** The public SSM parameter behind {@link amiId}; undefined when the AMI is pinned. */
  readonly amiSsmParameter?: string;
  readonly rootVolumeGib: number;
  readonly onDemandAfterInterruption: boolean;
  readonly interruptionRetries: number;
}

/** The environment variables that override the declaration for one deployment. */
export const CapacitySettingName = {
  instanceType: 'PIPELINE_INSTANCE_TYPE',
  fallbackInstanceTypes: 'PIPELINE_FALLBACK_INSTANCE_TYPES',
  purchaseOption: 'PIPELINE_PURCHASE_OPTION',
  amiId: 'PIPELINE_AMI_ID',
  amiSsmParameter: 'PIPELINE_AMI_SSM_PARAMETER',
} as const;

/**
 * At most this many types: every launch offers each in each zone (up to 6), and 20 × 6 = 120 pools stays well
 * inside what one CreateFleet request carries (AWS documents 300 overrides for the other fleet types).
 */
export const MAX_INSTANCE_TYPES = 20;

/**
 * x86_64 families with NVIDIA GPUs that the Deep Learning Base image supports: the `supported_ec2_instances` of its
 * Ubuntu 24.04 release notes (AWS Deep Learning AMIs developer guide, 2026): G4dn, G5, G6, Gr6, G6e, G7, P4d, P4de,
 * P5, P5e, P5en, P6-B200, P6-B300. Without that image such a type boots without the driver.
 */
export const NVIDIA_GPU_FAMILIES: ReadonlySet<string> = new Set([
  'g4dn', 'g5', 'g6', 'gr6', 'g6e', 'g7', 'p4d', 'p4de', 'p5', 'p5e', 'p5en', 'p6-b200', 'p6-b300',
]);

const DEFAULT_INSTANCE_TYPES = ['t3.micro'] as const;

/**
 * Canonical's Ubuntu Server amd64 parameters (`…/server/<release>/stable/<serial>/amd64/<virtualization>/<volume>/ami-id`)
 * and AWS's Deep Learning Base GPU parameters (`…/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-<release>/latest/ami-id`),
 * each with the Ubuntu release it names.
 */
const CANONICAL_PARAMETER = /^\/aws\/service\/canonical\/ubuntu\/server\/(\d{2}\.\d{2})\/stable\/[\w.-]+\/amd64\/[\w.-]+\/[\w.-]+\/ami-id$/;
const DLAMI_PARAMETER = /^\/aws\/service\/deeplearning\/ami\/x86_64\/base-oss-nvidia-driver-gpu-ubuntu-(\d{2}\.\d{2})\/latest\/ami-id$/;

/**
 * The deployment's capacity: the declaration checked, with the environment's overrides. A bad value fails the
 * synth with a ConfigError naming the setting and the value, e.g.
 * `pipeline.config.ts: capacity.purchaseOption must be one of on-demand, spot, spot-then-on-demand, got "cheap"`.
 */
export function loadCapacity(declaration: CapacityDeclaration | undefined, env: Env, region: string): CapacitySettings {
  const problems: string[] = [];
  const fromConfig = (field: string, requirement: string, value: unknown) =>
    problems.push(`${PIPELINE_CONFIG_FILE}: ${problem(`capacity.${field}`, requirement, describe(value))}`);
  const read = new EnvReader(env);
  const declared = declaration ?? {};
  if (typeof declared !== 'object' || declared === null) throw new ConfigError([`${PIPELINE_CONFIG_FILE}: capacity must be an object, got ${describe(declared)}`]);
  const known = ['instanceTypes', 'purchaseOption', 'image', 'rootVolumeGib', 'onDemandAfterInterruption', 'interruptionRetries'];
  for (const field of Object.keys(declared).filter((field) => !known.includes(field))) {
    problems.push(`${PIPELINE_CONFIG_FILE}: capacity.${field} is not a setting (the settings are ${known.join(', ')})`);
  }

  const instanceTypes = readInstanceTypes(declared.instanceTypes, read, fromConfig);
  const purchaseOption = read.choice(CapacitySettingName.purchaseOption, checkedChoice(declared.purchaseOption, PurchaseOption.onDemand, PURCHASE_OPTIONS, 'purchaseOption', fromConfig), PURCHASE_OPTIONS);
  const image = checkedChoice(declared.image, WorkerImage.ubuntu, WORKER_IMAGES, 'image', fromConfig);
  const rootVolumeGib = checkedInteger(declared.rootVolumeGib, ROOT_VOLUME_GIB.default, ROOT_VOLUME_GIB, 'rootVolumeGib', fromConfig);
  const interruptionRetries = checkedInteger(declared.interruptionRetries, INTERRUPTION_RETRIES.default, INTERRUPTION_RETRIES, 'interruptionRetries', fromConfig);
  const onDemandAfterInterruption = declared.onDemandAfterInterruption ?? false;
  if (typeof onDemandAfterInterruption !== 'boolean') fromConfig('onDemandAfterInterruption', 'true or false', onDemandAfterInterruption);

  const ami = readAmi(read, image);
  if (image === WorkerImage.gpu && (region.startsWith('cn-') || region.startsWith('us-gov-'))) {
    fromConfig('image', `"${WorkerImage.ubuntu}" in ${region}: the image check knows the Deep Learning AMIs' owner in the aws partition only`, image);
  }
  if (ami.amiSsmParameter !== undefined || image === WorkerImage.gpu) {
    const needsDriver = instanceTypes.filter((type) => NVIDIA_GPU_FAMILIES.has(type.split('.')[0]));
    const bootsGpuImage = ami.amiSsmParameter === undefined ? image === WorkerImage.gpu : DLAMI_PARAMETER.test(ami.amiSsmParameter);
    if (needsDriver.length > 0 && !bootsGpuImage) {
      fromConfig(
        'image',
        `"${WorkerImage.gpu}" for ${needsDriver.join(', ')}, which ${needsDriver.length === 1 ? 'has' : 'have'} an NVIDIA GPU: Canonical's image has no driver (installing it at boot adds minutes)`,
        image,
      );
    }
  }
  try {
    const settings = read.finish({
      instanceTypes,
      purchaseOption,
      image,
      ...ami,
      rootVolumeGib,
      onDemandAfterInterruption: onDemandAfterInterruption === true,
      interruptionRetries,
    });
    if (problems.length > 0) throw new ConfigError(problems);
    return settings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError([...problems, ...error.problems.filter((entry) => !problems.includes(entry))]);
  }
}

type ConfigProblem = (field: string, requirement: string, value: unknown) => void;

/**
 * The declaration's list, unless the environment sets PIPELINE_INSTANCE_TYPE or PIPELINE_FALLBACK_INSTANCE_TYPES:
 * then PIPELINE_INSTANCE_TYPE (else the declaration's first type) followed by the fallbacks.
 */
function readInstanceTypes(declared: unknown, read: EnvReader, fromConfig: ConfigProblem): string[] {
  const fromDeclaration = declaredInstanceTypes(declared, fromConfig);
  const primary = read.raw(CapacitySettingName.instanceType);
  const fallbacks = read.list(CapacitySettingName.fallbackInstanceTypes);
  if (primary === undefined && fallbacks === undefined) return fromDeclaration;
  const first = primary ?? fromDeclaration[0];
  if (primary !== undefined) checkInstanceType(read, CapacitySettingName.instanceType, primary);
  for (const type of fallbacks ?? []) checkInstanceType(read, CapacitySettingName.fallbackInstanceTypes, type);
  const types = [first, ...(fallbacks ?? [])];
  if (new Set(types).size !== types.length || types.length > MAX_INSTANCE_TYPES) {
    read.reject(
      CapacitySettingName.fallbackInstanceTypes,
      `at most ${MAX_INSTANCE_TYPES - 1} instance types other than ${CapacitySettingName.instanceType} and each other`,
      read.raw(CapacitySettingName.fallbackInstanceTypes) ?? '',
    );
  }
  return types;
}

function checkInstanceType(read: EnvReader, name: string, type: string): void {
  if (!INSTANCE_TYPE.test(type)) read.reject(name, 'an EC2 instance type such as t3.micro', type);
  else if (isNotX86Linux(type)) read.reject(name, X86_REQUIREMENT, type);
}

const X86_REQUIREMENT = 'an x86_64 instance type (the worker runtime is linux-x64; Graviton and Mac types cannot run it)';

function declaredInstanceTypes(declared: unknown, fromConfig: ConfigProblem): string[] {
  if (declared === undefined) return [...DEFAULT_INSTANCE_TYPES];
  if (!Array.isArray(declared) || declared.length === 0 || declared.length > MAX_INSTANCE_TYPES) {
    fromConfig('instanceTypes', `a list of 1 to ${MAX_INSTANCE_TYPES} instance types`, declared);
    return [...DEFAULT_INSTANCE_TYPES];
  }
  declared.forEach((type: unknown, index) => {
    if (typeof type !== 'string' || !INSTANCE_TYPE.test(type)) fromConfig(`instanceTypes[${index}]`, 'an EC2 instance type such as t3.micro', type);
    else if (isNotX86Linux(type)) fromConfig(`instanceTypes[${index}]`, X86_REQUIREMENT, type);
  });
  const types = declared.filter((type): type is string => typeof type === 'string');
  if (new Set(types).size !== types.length) fromConfig('instanceTypes', 'distinct instance types', declared);
  return types.length > 0 ? types : [...DEFAULT_INSTANCE_TYPES];
}

function checkedChoice<T extends string>(value: unknown, fallback: T, choices: readonly T[], field: string, fromConfig: ConfigProblem): T {
  if (value === undefined) return fallback;
  if (choices.includes(value as T)) return value as T;
  fromConfig(field, `one of ${choices.join(', ')}`, value);
  return fallback;
}

function checkedInteger(value: unknown, fallback: number, range: { min: number; max: number }, field: string, fromConfig: ConfigProblem): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= range.min && value <= range.max) return value;
  fromConfig(field, `an integer from ${range.min} to ${range.max}`, value);
  return fallback;
}

/**
 * A pinned AMI (checked at launch: its owner and release cannot be known offline), or the public parameter of the
 * chosen image: Canonical's Ubuntu Server amd64 or AWS's Deep Learning Base GPU image, of Ubuntu 24.04 or later.
 */
function readAmi(read: EnvReader, image: WorkerImage): { amiId: string; amiSsmParameter?: string } {
  const pinned = read.optional(CapacitySettingName.amiId, /^ami-[0-9a-f]{8,17}$/, 'an AMI ID such as ami-0123456789abcdef0');
  const parameter = read.raw(CapacitySettingName.amiSsmParameter) ?? IMAGE_PARAMETERS[image];
  const release = CANONICAL_PARAMETER.exec(parameter)?.[1] ?? DLAMI_PARAMETER.exec(parameter)?.[1];
  if (release === undefined || release < MIN_UBUNTU_RELEASE) {
    read.reject(
      CapacitySettingName.amiSsmParameter,
      `Canonical's Ubuntu Server amd64 parameter (/aws/service/canonical/ubuntu/server/<release>/stable/current/amd64/hvm/<volume>/ami-id) ` +
        `or AWS's Deep Learning Base GPU one (${IMAGE_PARAMETERS.gpu}), of Ubuntu ${MIN_UBUNTU_RELEASE} or later: ` +
        `the bootstrap needs Ubuntu, x86_64 and the curl of ${MIN_UBUNTU_RELEASE} (older releases ship a curl that cannot sign S3 requests)`,
      parameter,
    );
  }
  if (pinned !== undefined) return { amiId: pinned };
  return { amiId: `resolve:ssm:${parameter}`, amiSsmParameter: parameter };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}
