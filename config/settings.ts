import { cidrContains, parseIpv4Cidr } from './cidr';
import {
  type Env,
  fail,
  readBoolean,
  readChoice,
  readInteger,
  readOptionalString,
  readPositiveNumber,
  readRaw,
  readString,
} from './parse';

/**
 * Deploy-time settings, read once from `PIPELINE_*` environment variables when the stack is synthesized.
 * Every value is validated here, so a bad setting fails `cdktf synth` with a message naming it.
 */
export interface PipelineSettings {
  /** AWS region of every resource. */
  readonly region: string;
  /** Deployment stage, e.g. `dev`; part of every resource name and the `environment` tag. */
  readonly environment: string;
  /** First part of every resource name and the `project` tag. */
  readonly namePrefix: string;
  /** `<namePrefix>-<environment>`: the stem of every resource name. */
  readonly baseName: string;
  /** Tags the provider puts on every resource (and the orchestrator on workers). */
  readonly defaultTags: Readonly<Record<string, string>>;
  readonly vpcCidr: string;
  /** Inside {@link vpcCidr}. */
  readonly subnetCidr: string;
  /** Availability zone of the subnet; undefined lets AWS choose. */
  readonly availabilityZone?: string;
  readonly instanceType: string;
  /** Idle minutes (decimals allowed) before a worker stops and its instance terminates. */
  readonly autoterminateMinutes: number;
  /** Most workers running at once. */
  readonly maxWorkers: number;
  /** Visible messages one worker is expected to take: the orchestrator sizes scale-out with it. */
  readonly messagesPerWorker: number;
  /** Parallel copies inside one worker. */
  readonly workerConcurrency: number;
  /** EventBridge schedule expression of the orchestrator: `rate(...)` or `cron(...)`. */
  readonly schedule: string;
  /** The only source allowed to reach workers on port 22; undefined means no inbound rule at all. */
  readonly sshCidr?: string;
  /** OpenSSH public key; when set a key pair is created and workers launch with it. */
  readonly sshPublicKey?: string;
  /** What RunInstances receives as ImageId: a pinned `ami-…` or `resolve:ssm:<parameter>`. */
  readonly amiId: string;
  /** The public SSM parameter the AMI resolves through; undefined when the AMI is pinned. */
  readonly amiSsmParameter?: string;
  /** Work queue visibility timeout; the worker extends visibility at a fraction of it while it copies. */
  readonly queueVisibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** DynamoDB deletion protection on the items table. */
  readonly deletionProtection: boolean;
  /** Where alarm notifications are e-mailed; undefined means alarms without a notification topic. */
  readonly alarmEmail?: string;
  /** The queue-age alarm fires when the oldest waiting message is older than this. */
  readonly queueAgeAlarmSeconds: number;
  /** Retention of the orchestrator's CloudWatch log group. */
  readonly logRetentionDays: number;
  /** Worker logs under `logs/` in the bucket expire after this many days. */
  readonly workerLogExpirationDays: number;
  readonly state: StateSettings;
}

/** Terraform state: a local file by default, an S3 object with S3-native locking when a bucket is given. */
export type StateSettings =
  | { readonly backend: 'local'; /** undefined: cdktf's default, `terraform.<stack>.tfstate` in the working directory */ readonly path?: string }
  | { readonly backend: 's3'; readonly bucket: string; readonly key: string; readonly region: string };

/** Names of the environment variables, for messages and documentation. */
export const SettingName = {
  region: 'PIPELINE_REGION',
  environment: 'PIPELINE_ENVIRONMENT',
  namePrefix: 'PIPELINE_NAME_PREFIX',
  vpcCidr: 'PIPELINE_VPC_CIDR',
  subnetCidr: 'PIPELINE_SUBNET_CIDR',
  availabilityZone: 'PIPELINE_AVAILABILITY_ZONE',
  instanceType: 'PIPELINE_INSTANCE_TYPE',
  autoterminateMinutes: 'PIPELINE_AUTOTERMINATE_MINUTES',
  maxWorkers: 'PIPELINE_MAX_WORKERS',
  messagesPerWorker: 'PIPELINE_MESSAGES_PER_WORKER',
  workerConcurrency: 'PIPELINE_WORKER_CONCURRENCY',
  schedule: 'PIPELINE_SCHEDULE',
  sshCidr: 'PIPELINE_SSH_CIDR',
  sshPublicKey: 'PIPELINE_SSH_PUBLIC_KEY',
  amiId: 'PIPELINE_AMI_ID',
  amiSsmParameter: 'PIPELINE_AMI_SSM_PARAMETER',
  queueVisibilityTimeoutSeconds: 'PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS',
  maxReceiveCount: 'PIPELINE_MAX_RECEIVE_COUNT',
  deletionProtection: 'PIPELINE_DELETION_PROTECTION',
  alarmEmail: 'PIPELINE_ALARM_EMAIL',
  queueAgeAlarmSeconds: 'PIPELINE_QUEUE_AGE_ALARM_SECONDS',
  logRetentionDays: 'PIPELINE_LOG_RETENTION_DAYS',
  workerLogExpirationDays: 'PIPELINE_WORKER_LOG_EXPIRATION_DAYS',
  stateBucket: 'PIPELINE_STATE_BUCKET',
  stateKey: 'PIPELINE_STATE_KEY',
  stateRegion: 'PIPELINE_STATE_REGION',
  statePath: 'PIPELINE_STATE_PATH',
} as const;

/** Canonical's public parameter for the current Ubuntu 24.04 LTS amd64 gp3 AMI. */
export const UBUNTU_2404_AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';

/**
 * Lowest accepted visibility timeout. The worker extends a message's visibility every half timeout while
 * it copies; below a minute those heartbeats would be only seconds apart.
 */
export const MIN_VISIBILITY_TIMEOUT_SECONDS = 60;
/** SQS's own maximum: 12 hours. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * `<namePrefix>-<environment>-` also prefixes the bucket name, which S3 caps at 63 characters with a
 * 26-character unique suffix added by Terraform (bucket_prefix allows 37).
 */
const MAX_BASE_NAME_LENGTH = 36;

const NAME_PART = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const NAME_PART_REQUIREMENT = 'lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen';

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`: AWS wants the singular unit for 1 only. */
const RATE_EXPRESSION = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
/** `cron(…)` with EventBridge's six fields. */
const CRON_EXPRESSION = /^cron\(\S+( \S+){5}\)$/;

/** Reads and validates every setting; throws on the first bad one, naming the variable and its value. */
export function loadSettings(env: Env): PipelineSettings {
  const region = readString(env, SettingName.region, 'us-east-1', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region name such as us-east-1');
  const environment = readString(env, SettingName.environment, 'dev', NAME_PART, NAME_PART_REQUIREMENT);
  const namePrefix = readString(env, SettingName.namePrefix, 'rag-pipeline', NAME_PART, NAME_PART_REQUIREMENT);
  const baseName = `${namePrefix}-${environment}`;
  if (baseName.length > MAX_BASE_NAME_LENGTH) {
    fail(
      `${SettingName.namePrefix} and ${SettingName.environment}`,
      `at most ${MAX_BASE_NAME_LENGTH} characters together ("<prefix>-<environment>")`,
      baseName,
    );
  }

  const { vpcCidr, subnetCidr } = readNetwork(env);
  const queueVisibilityTimeoutSeconds = readInteger(env, SettingName.queueVisibilityTimeoutSeconds, 300, {
    min: MIN_VISIBILITY_TIMEOUT_SECONDS,
    max: MAX_VISIBILITY_TIMEOUT_SECONDS,
  });

  return {
    region,
    environment,
    namePrefix,
    baseName,
    defaultTags: { project: namePrefix, environment, 'managed-by': 'cdktf' },
    vpcCidr,
    subnetCidr,
    availabilityZone: readOptionalString(env, SettingName.availabilityZone, /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone name such as us-east-1a'),
    instanceType: readString(env, SettingName.instanceType, 't3.micro', /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as t3.micro'),
    autoterminateMinutes: readPositiveNumber(env, SettingName.autoterminateMinutes, 5, 1440),
    maxWorkers: readInteger(env, SettingName.maxWorkers, 1, { min: 1, max: 100 }),
    messagesPerWorker: readInteger(env, SettingName.messagesPerWorker, 10, { min: 1, max: 10_000 }),
    workerConcurrency: readInteger(env, SettingName.workerConcurrency, 10, { min: 1, max: 100 }),
    schedule: readSchedule(env),
    sshCidr: readSshCidr(env),
    sshPublicKey: readOptionalString(
      env,
      SettingName.sshPublicKey,
      /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( \S.*)?$/,
      'an OpenSSH public key ("ssh-ed25519 AAAA…", "ssh-rsa AAAA…" or "ecdsa-sha2-…")',
    ),
    ...readAmi(env),
    queueVisibilityTimeoutSeconds,
    maxReceiveCount: readInteger(env, SettingName.maxReceiveCount, 5, { min: 1, max: 1000 }),
    deletionProtection: readBoolean(env, SettingName.deletionProtection, false),
    alarmEmail: readOptionalString(env, SettingName.alarmEmail, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
    queueAgeAlarmSeconds: readInteger(env, SettingName.queueAgeAlarmSeconds, 900, { min: 60, max: 1_209_600 }),
    logRetentionDays: readChoice(env, SettingName.logRetentionDays, 30, LOG_RETENTION_DAYS),
    workerLogExpirationDays: readInteger(env, SettingName.workerLogExpirationDays, 30, { min: 1, max: 3650 }),
    state: readState(env, region, baseName),
  };
}

function readNetwork(env: Env): { vpcCidr: string; subnetCidr: string } {
  const vpcText = readRaw(env, SettingName.vpcCidr) ?? '10.42.0.0/16';
  const vpc = parseIpv4Cidr(vpcText);
  // AWS accepts VPC and subnet blocks from /16 to /28.
  if (!vpc || vpc.prefixLength < 16 || vpc.prefixLength > 28) {
    fail(SettingName.vpcCidr, 'an IPv4 network block from /16 to /28 such as 10.42.0.0/16', vpcText);
  }
  const subnetText = readRaw(env, SettingName.subnetCidr) ?? defaultSubnet(vpc.text);
  const subnet = parseIpv4Cidr(subnetText);
  if (!subnet || subnet.prefixLength < 16 || subnet.prefixLength > 28) {
    fail(SettingName.subnetCidr, 'an IPv4 network block from /16 to /28 such as 10.42.1.0/24', subnetText);
  }
  if (!cidrContains(vpc, subnet)) {
    fail(SettingName.subnetCidr, `inside ${SettingName.vpcCidr} (${vpc.text})`, subnet.text);
  }
  return { vpcCidr: vpc.text, subnetCidr: subnet.text };
}

/** The first /24 of the VPC, or the whole VPC when it is smaller than a /24. */
function defaultSubnet(vpcCidr: string): string {
  const [address, length] = vpcCidr.split('/');
  return Number(length) >= 24 ? vpcCidr : `${address}/24`;
}

function readSchedule(env: Env): string {
  const schedule = readRaw(env, SettingName.schedule) ?? 'rate(1 minute)';
  const requirement = 'rate(<n> minute|minutes|hour|hours|day|days) or cron(<6 fields>)';
  if (CRON_EXPRESSION.test(schedule)) return schedule;
  const rate = RATE_EXPRESSION.exec(schedule);
  if (!rate) fail(SettingName.schedule, requirement, schedule);
  const amount = Number(rate[1]);
  const singular = !rate[2].endsWith('s');
  if (amount < 1 || singular !== (amount === 1)) {
    fail(SettingName.schedule, `${requirement}, with a singular unit exactly when the value is 1`, schedule);
  }
  return schedule;
}

function readSshCidr(env: Env): string | undefined {
  const text = readRaw(env, SettingName.sshCidr);
  if (text === undefined) return undefined;
  const cidr = parseIpv4Cidr(text);
  if (!cidr) fail(SettingName.sshCidr, 'an IPv4 network block such as 203.0.113.7/32', text);
  // Opening SSH to every address is never what a user of this pipeline means.
  if (cidr.prefixLength === 0) fail(SettingName.sshCidr, 'narrower than the whole internet', text);
  return cidr.text;
}

function readAmi(env: Env): { amiId: string; amiSsmParameter?: string } {
  const pinned = readOptionalString(env, SettingName.amiId, /^ami-[0-9a-f]{8,17}$/, 'an AMI ID such as ami-0123456789abcdef0');
  const parameter = readString(
    env,
    SettingName.amiSsmParameter,
    UBUNTU_2404_AMI_PARAMETER,
    /^\/aws\/service\/[A-Za-z0-9_./-]+$/,
    'a public SSM parameter path under /aws/service/',
  );
  if (pinned !== undefined) return { amiId: pinned };
  return { amiId: `resolve:ssm:${parameter}`, amiSsmParameter: parameter };
}

function readState(env: Env, region: string, baseName: string): StateSettings {
  const bucket = readOptionalString(env, SettingName.stateBucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
  if (bucket === undefined) {
    for (const name of [SettingName.stateKey, SettingName.stateRegion]) {
      const raw = readRaw(env, name);
      if (raw !== undefined) fail(name, `unset unless ${SettingName.stateBucket} is set`, raw);
    }
    const path = readOptionalString(env, SettingName.statePath, /^\S+\.tfstate$/, 'a file path ending in .tfstate');
    return { backend: 'local', path };
  }
  return {
    backend: 's3',
    bucket,
    key: readString(env, SettingName.stateKey, `${baseName}/terraform.tfstate`, /^[^\s/][^\s]*$/, 'an S3 key without spaces or a leading slash'),
    region: readString(env, SettingName.stateRegion, region, /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region name such as us-east-1'),
  };
}
