import {
  INSTANCE_TYPE,
  AUTOTERMINATE_MINUTES,
  INTERRUPTION_RETRIES,
  PURCHASE_OPTIONS,
  PurchaseOption,
  ROOT_VOLUME_GIB,
  MAX_RECEIVE_COUNT,
  MAX_WORKERS,
  MESSAGES_PER_WORKER,
  OptionalOrchestratorEnv,
  OrchestratorEnv,
  VISIBILITY_TIMEOUT_SECONDS,
  WORKER_CODE_KEY,
  WORKER_CONCURRENCY,
  WORKER_LAUNCH_TOKEN_TAG_KEY,
  WORKER_PURCHASE_TAG_KEY,
  WORKER_SETUP_TIMEOUT_SECONDS,
  WORKER_SLOT_TAG_KEY,
} from '../../contracts';
import { type Env, EnvReader } from '../../runtime/env';
import { DEFAULT_BOOT_BACKOFF, type BootBackoffSettings } from './boot-backoff';

/** Everything the orchestrator reads from its environment, validated once per cold start. */
export interface OrchestratorConfig {
  readonly region: string;
  /** The function's own name: the FunctionName dimension of its metrics, which the alarms watch. */
  readonly functionName: string;
  readonly queueUrl: string;
  readonly tableName: string;
  readonly bucketName: string;
  /** The tag that marks a worker, e.g. `Role=rag-worker`: counted by DescribeInstances, put on launches. */
  readonly workerTag: { readonly key: string; readonly value: string };
  /** Value of the workers' `Name` tag. */
  readonly workerName: string;
  /** Extra tags (project, environment, managed-by) for workers and their volumes. */
  readonly workerTags: Readonly<Record<string, string>>;
  /** `ami-…` or `resolve:ssm:<parameter>`. */
  readonly imageId: string;
  /** The preferred instance type: on-demand launches take it first. */
  readonly instanceType: string;
  /** The other types, in preference order; every launch offers them too. Empty when none are configured. */
  readonly fallbackInstanceTypes: readonly string[];
  /** The preferred subnet: on-demand launches take it first. */
  readonly subnetId: string;
  /** Subnets in other availability zones, in preference order; every launch offers them too. */
  readonly fallbackSubnetIds: readonly string[];
  /** The workers' launch template (`lt-…`) and its version: the security group, profile, key pair and IMDSv2 are there. */
  readonly launchTemplate: { readonly id: string; readonly version: string };
  readonly purchaseOption: PurchaseOption;
  /** The root volume's size; a launch uses the image's root snapshot size when that is larger. */
  readonly rootVolumeGib: number;
  /** After a recent Spot interruption, launch on-demand (ON_DEMAND_AFTER_INTERRUPTION_MS). */
  readonly onDemandAfterInterruption: boolean;
  /** Passed through to the worker. */
  readonly interruptionRetries: number;
  readonly maxWorkers: number;
  readonly messagesPerWorker: number;
  /** Passed through to the worker. */
  readonly autoterminateMinutes: number;
  /** Passed through to the worker; undefined leaves the worker's own default. */
  readonly workerConcurrency: number | undefined;
  /** Passed through to the worker; undefined leaves the worker's own default. */
  readonly visibilityTimeoutSeconds: number | undefined;
  /** The work queue's maxReceiveCount, passed through to the worker; undefined leaves its last-receive rule off. */
  readonly maxReceiveCount: number | undefined;
  /** S3 key of the worker bundle in {@link bucketName}. */
  readonly workerCodeKey: string;
  /** S3 key of the processor catalog, passed through to the worker; undefined when only `copy` is configured. */
  readonly processorCatalogKey: string | undefined;
  /** The worker setup script, passed through to the bootstrap; undefined when none is configured. */
  readonly workerSetup: { readonly key: string; readonly timeoutSeconds: number } | undefined;
  /** How long launches wait after recent boot failures (not an environment variable: docs/orchestrator.md). */
  readonly bootBackoff: BootBackoffSettings;
  /** How much one tick may launch before it leaves the rest to the next (not an environment variable: docs/capacity.md). */
  readonly launchBudget: LaunchBudgetSettings;
}

/** Bounds on one tick's launching, so it stops before the function's timeout. */
export interface LaunchBudgetSettings {
  /** CreateFleet calls one tick makes at most. */
  readonly maxCalls: number;
  /** No CreateFleet call starts with less than this left before the tick's deadline. */
  readonly reserveMs: number;
  /** The tick's length when the invocation does not say how long it has (the function's 60 s timeout). */
  readonly defaultTickMs: number;
}

/**
 * At most 20 CreateFleet calls a tick, none started with less than 20 s left of the function's 60 s. A call is
 * bounded by the client's 3 attempts of 10 s each at worst, and is also aborted 5 s before the deadline
 * (launch-budget.ts). A backlog that wants more leaves the rest to the next tick, seconds later when rows keep
 * waking the function, a minute at most.
 */
export const DEFAULT_LAUNCH_BUDGET: LaunchBudgetSettings = { maxCalls: 20, reserveMs: 20_000, defaultTickMs: 60_000 };

/** The keys the orchestrator passes to the bootstrap, which puts them in URLs: no character needs escaping. */
const S3_KEY = /^[A-Za-z0-9!_.*'()/-]{1,1024}$/;
const S3_KEY_REQUIREMENT = "an S3 key of letters, digits and !_.*'()/-";

/** The AWS Lambda runtime sets it; local runs set it themselves. */
export const REGION_ENV = 'AWS_REGION';
/** The AWS Lambda runtime sets it; the local run sets it to the emulated function's name. */
export const FUNCTION_NAME_ENV = 'AWS_LAMBDA_FUNCTION_NAME';

/** EC2 allows 50 tags per resource; the worker tag, `Name`, the slot, the launch token and the purchase tag take five. */
const MAX_EXTRA_TAGS = 45;
/** Up to six availability zones per region (us-east-1 has six): the preferred subnet and five more. */
const MAX_FALLBACK_SUBNETS = 5;
/** Twenty types in all (config/capacity.ts, MAX_INSTANCE_TYPES): every launch offers each in each subnet. */
const MAX_FALLBACK_INSTANCE_TYPES = 19;
const SUBNET_ID = /^subnet-[0-9a-f]+$/;

/**
 * Reads and validates the whole configuration. Every problem is collected, so one failed cold start
 * lists them all: `MAX_WORKERS must be an integer from 1 to 100, got "0"; EC2_SUBNET_ID must be set`.
 */
export function loadConfig(env: Env): OrchestratorConfig {
  const read = new EnvReader(env);
  const N = OrchestratorEnv;

  const workerTag = {
    key: read.required(N.tagKey, TAG_KEY, 'a tag key (1-128 characters, not starting with "aws:")'),
    value: read.required(N.tagValue, TAG_VALUE, 'a tag value (1-256 characters)'),
  };
  const scalars = {
    region: read.required(REGION_ENV, /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region name such as us-east-1'),
    functionName: read.required(FUNCTION_NAME_ENV, /^[A-Za-z0-9_-]{1,64}$/, 'a Lambda function name'),
    queueUrl: read.url(N.queueUrl),
    tableName: read.required(N.tableName, /^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name'),
    // No dots: the bootstrap fetches the worker bundle with a virtual-hosted-style HTTPS URL.
    bucketName: read.required(N.bucketName, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'an S3 bucket name without dots'),
    workerTag,
    workerName: read.optional(N.workerName, TAG_VALUE, 'a tag value (1-256 characters)') ?? workerTag.value,
    workerTags: readTags(read, N.workerTags, workerTag.key),
    imageId: read.required(N.amiId, /^(ami-[0-9a-f]{8,17}|resolve:ssm:\/?[A-Za-z0-9_.\-/:]+)$/, 'an AMI ID (ami-…) or resolve:ssm:<parameter>'),
    instanceType: read.required(N.instanceType, INSTANCE_TYPE, 'an EC2 instance type such as t3.micro'),
    subnetId: read.required(N.subnetId, SUBNET_ID, 'a subnet ID (subnet-…)'),
    launchTemplate: {
      id: read.required(N.launchTemplateId, /^lt-[0-9a-f]+$/, 'a launch template ID (lt-…)'),
      version: read.required(N.launchTemplateVersion, /^[1-9]\d*$/, 'a launch template version number'),
    },
    purchaseOption: read.choice(N.purchaseOption, PurchaseOption.onDemand, PURCHASE_OPTIONS),
    rootVolumeGib: read.integer(N.rootVolumeGib, ROOT_VOLUME_GIB.default, ROOT_VOLUME_GIB),
    onDemandAfterInterruption: read.boolean(N.onDemandAfterInterruption, false),
    interruptionRetries: read.integer(N.interruptionRetries, INTERRUPTION_RETRIES.default, INTERRUPTION_RETRIES),
    maxWorkers: read.integer(N.maxWorkers, MAX_WORKERS.default, MAX_WORKERS),
    messagesPerWorker: read.integer(N.messagesPerWorker, MESSAGES_PER_WORKER.default, MESSAGES_PER_WORKER),
    autoterminateMinutes: read.positiveNumber(N.autoterminateMinutes, AUTOTERMINATE_MINUTES.default, AUTOTERMINATE_MINUTES.max),
    workerConcurrency: read.optionalInteger(N.workerConcurrency, WORKER_CONCURRENCY),
    // The queue's own value, which the stack never sets below the minute (contracts/tuning.ts).
    visibilityTimeoutSeconds: read.optionalInteger(N.visibilityTimeoutSeconds, VISIBILITY_TIMEOUT_SECONDS),
    maxReceiveCount: read.optionalInteger(N.maxReceiveCount, MAX_RECEIVE_COUNT),
    workerCodeKey:
      read.optional(N.workerCodeKey, S3_KEY, S3_KEY_REQUIREMENT) ??
      WORKER_CODE_KEY,
    processorCatalogKey: read.optional(OptionalOrchestratorEnv.processorCatalogKey, S3_KEY, S3_KEY_REQUIREMENT),
    workerSetup: readWorkerSetup(read),
    bootBackoff: DEFAULT_BOOT_BACKOFF,
    launchBudget: DEFAULT_LAUNCH_BUDGET,
  };
  const config: OrchestratorConfig = {
    ...scalars,
    fallbackInstanceTypes: readDistinctList(read, N.fallbackInstanceTypes, INSTANCE_TYPE, {
      item: 'instance types',
      max: MAX_FALLBACK_INSTANCE_TYPES,
      primary: [N.instanceType, scalars.instanceType],
    }),
    fallbackSubnetIds: readDistinctList(read, N.fallbackSubnetIds, SUBNET_ID, {
      item: 'subnet IDs (subnet-…)',
      max: MAX_FALLBACK_SUBNETS,
      primary: [N.subnetId, scalars.subnetId],
    }),
  };
  return read.finish(config);
}

/** The setup script's key and timeout travel together: one without the other is a broken stack. */
function readWorkerSetup(read: EnvReader): OrchestratorConfig['workerSetup'] {
  const key = read.optional(OptionalOrchestratorEnv.workerSetupKey, S3_KEY, S3_KEY_REQUIREMENT);
  const timeoutSeconds = read.optionalInteger(OptionalOrchestratorEnv.workerSetupTimeoutSeconds, WORKER_SETUP_TIMEOUT_SECONDS);
  if (key === undefined && timeoutSeconds === undefined) return undefined;
  if (key === undefined || timeoutSeconds === undefined) {
    const [missing, given] = key === undefined
      ? [OptionalOrchestratorEnv.workerSetupKey, OptionalOrchestratorEnv.workerSetupTimeoutSeconds]
      : [OptionalOrchestratorEnv.workerSetupTimeoutSeconds, OptionalOrchestratorEnv.workerSetupKey];
    read.reject(missing, `set with ${given}`, '');
    return undefined;
  }
  return { key, timeoutSeconds };
}

const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

/**
 * A comma-separated list of distinct values, each matching `pattern`, none equal to the primary value it
 * falls back from. Unset or blank is an empty list.
 */
function readDistinctList(
  read: EnvReader,
  name: string,
  pattern: RegExp,
  rule: { item: string; max: number; primary: [string, string] },
): string[] {
  const raw = read.raw(name);
  if (raw === undefined) return [];
  const items = raw.split(',').map((item) => item.trim());
  const [primaryName, primaryValue] = rule.primary;
  const ok =
    items.length <= rule.max &&
    items.every((item) => pattern.test(item) && item !== primaryValue) &&
    new Set(items).size === items.length;
  if (ok) return items;
  read.reject(name, `a comma-separated list of at most ${rule.max} ${rule.item}, without ${primaryName} or repeats`, raw);
  return [];
}

/** A JSON object of string values; must not redefine the tags the launch sets itself (worker, `Name`, slot, token, purchase). */
function readTags(read: EnvReader, name: string, workerTagKey: string): Readonly<Record<string, string>> {
  const raw = read.raw(name);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const entries = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : undefined;
  const ok =
    entries !== undefined &&
    entries.length <= MAX_EXTRA_TAGS &&
    entries.every(
      ([key, value]) =>
        TAG_KEY.test(key) &&
        typeof value === 'string' &&
        (value === '' || TAG_VALUE.test(value)) &&
        !['Name', workerTagKey, WORKER_SLOT_TAG_KEY, WORKER_LAUNCH_TOKEN_TAG_KEY, WORKER_PURCHASE_TAG_KEY].includes(key),
    );
  if (ok) return parsed as Record<string, string>;
  read.reject(
    name,
    `a JSON object of at most ${MAX_EXTRA_TAGS} string tags, without "Name", "${workerTagKey}", "${WORKER_SLOT_TAG_KEY}", "${WORKER_LAUNCH_TOKEN_TAG_KEY}" or "${WORKER_PURCHASE_TAG_KEY}"`,
    raw,
  );
  return {};
}
