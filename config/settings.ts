import { bucketNameRefusal, generatedBucketName, securityGroupNameRefusal } from './aws-names';
import { AVAILABILITY_ZONE_ID, DEFAULT_AVAILABILITY_ZONE_IDS, listZoneIdsCommand } from './availability-zones';
import { cidrContains, cidrsOverlap, firstSubnets, parseIpv4Cidr } from './cidr';
import {
  AUTOTERMINATE_MINUTES,
  MAX_RECEIVE_COUNT,
  MAX_WORKERS,
  MESSAGES_PER_WORKER,
  VISIBILITY_TIMEOUT_SECONDS,
  WORKER_CONCURRENCY,
} from '../contracts/tuning';
import { ConfigError, type Env, EnvReader, fail } from '../runtime/env';

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
  /** The workers' subnets, one per availability zone ID, in launch preference order; at least two. */
  readonly subnets: readonly SubnetSettings[];
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
  /** Overwritten and deleted objects' old versions expire after this many days. */
  readonly noncurrentVersionExpirationDays: number;
  /** The orchestrator's reserved concurrency; undefined reserves none (new accounts cannot reserve any). */
  readonly orchestratorReservedConcurrency?: number;
  /** Seconds the first apply waits after the pipe's role policy before creating the pipe. */
  readonly iamPropagationSeconds: number;
  /** Where the item events go: the account's default bus, or a bus of the pipeline's own. */
  readonly eventBus: EventBusChoice;
  /** Whether rows that become PENDING start an orchestrator run within seconds (the wake queue), besides the schedule. */
  readonly eventTrigger: boolean;
  /** Whether to create a subscriber queue of outcome events (FINISHED, FAILED), with its dead-letter queue and alarms. */
  readonly eventsQueue: boolean;
  /** Whether the table has its GSI on `status` (the ops CLI's; its PENDING key caps writes near 500 rows/s). */
  readonly statusIndex: boolean;
  readonly state: StateSettings;
}

/** `default`: the account's default event bus; `pipeline`: a bus named `<base>-events`. */
export const EVENT_BUS_CHOICES = ['default', 'pipeline'] as const;
export type EventBusChoice = (typeof EVENT_BUS_CHOICES)[number];

/** One workers' subnet: its zone, by ID, and its block inside the VPC. */
export interface SubnetSettings {
  readonly availabilityZoneId: string;
  readonly cidrBlock: string;
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
  availabilityZoneIds: 'PIPELINE_AVAILABILITY_ZONE_IDS',
  subnetCidrs: 'PIPELINE_SUBNET_CIDRS',
  autoterminateMinutes: 'PIPELINE_AUTOTERMINATE_MINUTES',
  maxWorkers: 'PIPELINE_MAX_WORKERS',
  messagesPerWorker: 'PIPELINE_MESSAGES_PER_WORKER',
  workerConcurrency: 'PIPELINE_WORKER_CONCURRENCY',
  schedule: 'PIPELINE_SCHEDULE',
  sshCidr: 'PIPELINE_SSH_CIDR',
  sshPublicKey: 'PIPELINE_SSH_PUBLIC_KEY',
  queueVisibilityTimeoutSeconds: 'PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS',
  maxReceiveCount: 'PIPELINE_MAX_RECEIVE_COUNT',
  deletionProtection: 'PIPELINE_DELETION_PROTECTION',
  alarmEmail: 'PIPELINE_ALARM_EMAIL',
  queueAgeAlarmSeconds: 'PIPELINE_QUEUE_AGE_ALARM_SECONDS',
  logRetentionDays: 'PIPELINE_LOG_RETENTION_DAYS',
  workerLogExpirationDays: 'PIPELINE_WORKER_LOG_EXPIRATION_DAYS',
  noncurrentVersionExpirationDays: 'PIPELINE_NONCURRENT_VERSION_EXPIRATION_DAYS',
  orchestratorReservedConcurrency: 'PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY',
  iamPropagationSeconds: 'PIPELINE_IAM_PROPAGATION_SECONDS',
  eventBus: 'PIPELINE_EVENT_BUS',
  eventTrigger: 'PIPELINE_EVENT_TRIGGER',
  eventsQueue: 'PIPELINE_EVENTS_QUEUE',
  statusIndex: 'PIPELINE_STATUS_INDEX',
  stateBucket: 'PIPELINE_STATE_BUCKET',
  stateKey: 'PIPELINE_STATE_KEY',
  stateRegion: 'PIPELINE_STATE_REGION',
  statePath: 'PIPELINE_STATE_PATH',
} as const;

/** Settings that were replaced, and what replaced them: setting one fails synth with that advice. */
export const REPLACED_SETTINGS: Readonly<Record<string, string>> = {
  PIPELINE_SUBNET_CIDR: `${SettingName.subnetCidrs} (one block per zone of ${SettingName.availabilityZoneIds}; derived /24s by default)`,
  PIPELINE_AVAILABILITY_ZONE: `${SettingName.availabilityZoneIds} (zone IDs such as use1-az1, the same in every account)`,
};

/**
 * The first apply's wait before each pipe. In hashicorp/terraform-provider-aws#40572 (a pipe created right after
 * its role policy cannot read its stream yet: "Cannot access stream … Please ensure the customer role can perform
 * actions on source stream") the wait "only works with quite large sleep values (>90s)", timed from the table's
 * creation; published workarounds use 90 s (CraftsmenLtd/BloodConnect#428), which leaves no margin. So 180 s,
 * counted from the later of the role policy and the table (modules/shared/iam-propagation.ts).
 * docs/first-deploy.md says what to do when it is still too short.
 */
export const DEFAULT_IAM_PROPAGATION_SECONDS = 180;

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

/**
 * Reads and validates every setting. Every problem is collected, so one failed synth lists them all, each
 * naming the variable and its value; checks that build on a bad value (subnets inside a bad VPC block) are skipped.
 */
export function loadSettings(env: Env): PipelineSettings {
  const read = new EnvReader(env);
  const region = read.string(SettingName.region, 'us-east-1', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region name such as us-east-1');
  const environment = read.string(SettingName.environment, 'dev', NAME_PART, NAME_PART_REQUIREMENT);
  const namePrefix = read.string(SettingName.namePrefix, 'rag-pipeline', NAME_PART, NAME_PART_REQUIREMENT);
  const baseName = `${namePrefix}-${environment}`;
  read.guard(() => checkBaseName(baseName), undefined);
  rejectReplacedSettings(read);
  const { vpcCidr, subnets } = read.guard(() => readNetwork(read, region), { vpcCidr: '', subnets: [] });

  const orchestratorReservedConcurrency = read.optionalInteger(SettingName.orchestratorReservedConcurrency, { min: 1, max: 1000 });
  const eventTrigger = read.boolean(SettingName.eventTrigger, true);
  read.guard(() => checkReservation(orchestratorReservedConcurrency, eventTrigger), undefined);

  return read.finish({
    region,
    environment,
    namePrefix,
    baseName,
    defaultTags: { project: namePrefix, environment, 'managed-by': 'cdktf' },
    vpcCidr,
    subnets,
    autoterminateMinutes: read.positiveNumber(SettingName.autoterminateMinutes, AUTOTERMINATE_MINUTES.default, AUTOTERMINATE_MINUTES.max),
    maxWorkers: read.integer(SettingName.maxWorkers, MAX_WORKERS.default, MAX_WORKERS),
    messagesPerWorker: read.integer(SettingName.messagesPerWorker, MESSAGES_PER_WORKER.default, MESSAGES_PER_WORKER),
    workerConcurrency: read.integer(SettingName.workerConcurrency, WORKER_CONCURRENCY.default, WORKER_CONCURRENCY),
    schedule: read.guard(() => readSchedule(read), ''),
    sshCidr: read.guard(() => readSshCidr(read), undefined),
    sshPublicKey: read.optional(
      SettingName.sshPublicKey,
      /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( \S.*)?$/,
      'an OpenSSH public key ("ssh-ed25519 AAAA…", "ssh-rsa AAAA…" or "ecdsa-sha2-…")',
    ),
    queueVisibilityTimeoutSeconds: read.integer(SettingName.queueVisibilityTimeoutSeconds, VISIBILITY_TIMEOUT_SECONDS.default, VISIBILITY_TIMEOUT_SECONDS),
    maxReceiveCount: read.integer(SettingName.maxReceiveCount, MAX_RECEIVE_COUNT.default, MAX_RECEIVE_COUNT),
    deletionProtection: read.boolean(SettingName.deletionProtection, false),
    alarmEmail: read.optional(SettingName.alarmEmail, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
    queueAgeAlarmSeconds: read.integer(SettingName.queueAgeAlarmSeconds, 900, { min: 60, max: 1_209_600 }),
    logRetentionDays: read.choice(SettingName.logRetentionDays, 30, LOG_RETENTION_DAYS),
    workerLogExpirationDays: read.integer(SettingName.workerLogExpirationDays, 30, { min: 1, max: 3650 }),
    noncurrentVersionExpirationDays: read.integer(SettingName.noncurrentVersionExpirationDays, 30, { min: 1, max: 3650 }),
    orchestratorReservedConcurrency,
    iamPropagationSeconds: read.integer(SettingName.iamPropagationSeconds, DEFAULT_IAM_PROPAGATION_SECONDS, { min: 0, max: 900 }),
    eventBus: read.choice<EventBusChoice>(SettingName.eventBus, 'default', EVENT_BUS_CHOICES),
    eventTrigger,
    eventsQueue: read.boolean(SettingName.eventsQueue, false),
    statusIndex: read.boolean(SettingName.statusIndex, true),
    state: read.guard(() => readState(read, region, baseName), { backend: 'local' }),
  });
}

/**
 * The smallest reservation that fits the event trigger: the wake queue's mapping runs up to 2 at once (its
 * MaximumConcurrency, Lambda's minimum; modules/lambda) and the scheduled run comes on top. AWS: "make sure
 * the reserved concurrency is at least the total maximum concurrency of all SQS event sources", or "Lambda
 * may throttle your messages" (services-sqs-scaling); event source mappings "don't account for reserved
 * concurrency" (re:Post lambda-sqs-scaling).
 */
export const MIN_RESERVED_CONCURRENCY_WITH_EVENT_TRIGGER = 3;

/** Refuses a reservation that would throttle the wake batches or crowd out the scheduled run (the safety net). */
function checkReservation(reserved: number | undefined, eventTrigger: boolean): void {
  if (eventTrigger && reserved !== undefined && reserved < MIN_RESERVED_CONCURRENCY_WITH_EVENT_TRIGGER) {
    fail(
      SettingName.orchestratorReservedConcurrency,
      `at least ${MIN_RESERVED_CONCURRENCY_WITH_EVENT_TRIGGER} while ${SettingName.eventTrigger} is on: the wake queue's mapping runs ` +
        `up to 2 at once and the scheduled run needs a third, or Lambda throttles them (unset it to reserve none, or set ` +
        `${SettingName.eventTrigger}=false)`,
      String(reserved),
    );
  }
}

function checkBaseName(baseName: string): void {
  if (baseName.length > MAX_BASE_NAME_LENGTH) {
    fail(
      `${SettingName.namePrefix} and ${SettingName.environment}`,
      `at most ${MAX_BASE_NAME_LENGTH} characters together ("<prefix>-<environment>")`,
      baseName,
    );
  }
  rejectRefusedNames(baseName);
}

function rejectReplacedSettings(read: EnvReader): void {
  for (const [name, replacement] of Object.entries(REPLACED_SETTINGS)) {
    const raw = read.raw(name);
    if (raw !== undefined) read.reject(name, `unset: it was replaced by ${replacement}`, raw);
  }
}

/** Names the stack derives from `<prefix>-<environment>` that AWS would refuse at apply (see ./aws-names). */
function rejectRefusedNames(baseName: string): void {
  const names = `${SettingName.namePrefix} and ${SettingName.environment}`;
  // The worker security group is `<base>-worker` (modules/vpc); the bucket is `<base>-` plus Terraform's suffix (modules/s3).
  const securityGroup = securityGroupNameRefusal(`${baseName}-worker`);
  if (securityGroup) fail(names, `names AWS accepts (${securityGroup})`, baseName);
  const bucket = bucketNameRefusal(generatedBucketName(`${baseName}-`));
  if (bucket) fail(names, `names AWS accepts (${bucket})`, baseName);
}

function readNetwork(read: EnvReader, region: string): { vpcCidr: string; subnets: SubnetSettings[] } {
  const vpcText = read.raw(SettingName.vpcCidr) ?? '10.42.0.0/16';
  const vpc = parseIpv4Cidr(vpcText);
  // AWS accepts VPC and subnet blocks from /16 to /28.
  if (!vpc || vpc.prefixLength < 16 || vpc.prefixLength > 28) {
    fail(SettingName.vpcCidr, 'an IPv4 network block from /16 to /28 such as 10.42.0.0/16', vpcText);
  }
  const zoneIds = readAvailabilityZoneIds(read, region);

  const cidrTexts = read.list(SettingName.subnetCidrs);
  if (cidrTexts === undefined) {
    const derived = firstSubnets(vpc, zoneIds.length, 28);
    if (!derived) fail(SettingName.vpcCidr, `large enough for ${zoneIds.length} subnets of at least /28`, vpc.text);
    return { vpcCidr: vpc.text, subnets: zoneIds.map((availabilityZoneId, index) => ({ availabilityZoneId, cidrBlock: derived[index].text })) };
  }
  const raw = read.raw(SettingName.subnetCidrs)!;
  if (cidrTexts.length !== zoneIds.length) {
    fail(SettingName.subnetCidrs, `one block per zone of ${SettingName.availabilityZoneIds} (${zoneIds.join(', ')})`, raw);
  }
  const subnets = cidrTexts.map((text) => {
    const subnet = parseIpv4Cidr(text);
    if (!subnet || subnet.prefixLength < 16 || subnet.prefixLength > 28) {
      fail(SettingName.subnetCidrs, 'IPv4 network blocks from /16 to /28 such as 10.42.1.0/24', text);
    }
    if (!cidrContains(vpc, subnet)) fail(SettingName.subnetCidrs, `inside ${SettingName.vpcCidr} (${vpc.text})`, subnet.text);
    return subnet;
  });
  subnets.forEach((subnet, index) => {
    const overlapping = subnets.slice(index + 1).find((other) => cidrsOverlap(subnet, other));
    if (overlapping) fail(SettingName.subnetCidrs, `blocks that do not overlap (${subnet.text} and ${overlapping.text} do)`, raw);
  });
  return { vpcCidr: vpc.text, subnets: zoneIds.map((availabilityZoneId, index) => ({ availabilityZoneId, cidrBlock: subnets[index].text })) };
}

/** At least two zones, so a worker still launches when one zone lacks the instance type or capacity. */
function readAvailabilityZoneIds(read: EnvReader, region: string): string[] {
  const ids = read.list(SettingName.availabilityZoneIds);
  if (ids === undefined) {
    const defaults = DEFAULT_AVAILABILITY_ZONE_IDS[region];
    if (defaults) return [...defaults];
    throw new ConfigError([
      `${SettingName.availabilityZoneIds} must be set for ${region}: no default zones are known for that region. ` +
        `List its zone IDs with \`${listZoneIdsCommand(region)}\` and set two or more, comma-separated, of zones that offer your instance type.`,
    ]);
  }
  const raw = read.raw(SettingName.availabilityZoneIds)!;
  const invalid = ids.find((id) => !AVAILABILITY_ZONE_ID.test(id));
  if (invalid !== undefined) {
    fail(SettingName.availabilityZoneIds, `availability zone IDs such as use1-az1 (not names such as us-east-1a; list them with \`${listZoneIdsCommand(region)}\`)`, invalid);
  }
  if (ids.length < 2 || ids.length > 6 || new Set(ids).size !== ids.length) {
    fail(SettingName.availabilityZoneIds, 'two to six distinct availability zone IDs, comma-separated', raw);
  }
  const regionCodes = new Set(ids.map((id) => id.split('-')[0]));
  if (regionCodes.size > 1) fail(SettingName.availabilityZoneIds, 'zone IDs of one region', raw);
  return ids;
}

function readSchedule(read: EnvReader): string {
  const schedule = read.raw(SettingName.schedule) ?? 'rate(1 minute)';
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

function readSshCidr(read: EnvReader): string | undefined {
  const text = read.raw(SettingName.sshCidr);
  if (text === undefined) return undefined;
  const cidr = parseIpv4Cidr(text);
  if (!cidr) fail(SettingName.sshCidr, 'an IPv4 network block such as 203.0.113.7/32', text);
  // Opening SSH to every address is never what a user of this pipeline means.
  if (cidr.prefixLength === 0) fail(SettingName.sshCidr, 'narrower than the whole internet', text);
  return cidr.text;
}

function readState(read: EnvReader, region: string, baseName: string): StateSettings {
  const bucket = read.optional(SettingName.stateBucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
  if (bucket === undefined) {
    for (const name of [SettingName.stateKey, SettingName.stateRegion]) {
      const raw = read.raw(name);
      if (raw !== undefined) read.reject(name, `unset unless ${SettingName.stateBucket} is set`, raw);
    }
    const path = read.optional(SettingName.statePath, /^\S+\.tfstate$/, 'a file path ending in .tfstate');
    return { backend: 'local', path };
  }
  return {
    backend: 's3',
    bucket,
    key: read.string(SettingName.stateKey, `${baseName}/terraform.tfstate`, /^[^\s/][^\s]*$/, 'an S3 key without spaces or a leading slash'),
    region: read.string(SettingName.stateRegion, region, /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region name such as us-east-1'),
  };
}
