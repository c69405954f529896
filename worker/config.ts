import { WORKER_LOG_PATH, WorkerEnv, ENDPOINT_ENV } from '../contracts';

/** Everything the worker reads from its environment, validated once at start. */
export interface WorkerConfig {
  readonly queueUrl: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly region: string;
  readonly instanceId: string;
  /** Milliseconds without a received message (and nothing in flight) before the worker stops. */
  readonly idleTimeoutMs: number;
  readonly concurrency: number;
  readonly visibilityTimeoutSeconds: number;
  /**
   * The work queue's maxReceiveCount. On the receive that reaches it, a transient failure records FAILED
   * instead of leaving the message for the dead-letter queue; undefined (not set) turns that rule off.
   */
  readonly maxReceiveCount: number | undefined;
  readonly multipartThresholdBytes: number;
  readonly logPath: string;
  /** The emulator's endpoint in local runs; undefined in AWS. */
  readonly endpoint: string | undefined;
}

/** A configuration value is missing or invalid; the message names the variable and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_AUTOTERMINATE_MINUTES = 5;
/**
 * Ten parallel copies: one full receive batch at once. Copies are server-side, so the instance only waits
 * on S3; ten keeps a t3.micro's sockets and memory far from their limits while a batch never queues.
 */
export const DEFAULT_CONCURRENCY = 10;
const MAX_CONCURRENCY = 100;
/** The SQS default; the infrastructure passes the queue's real value. */
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
/** SQS's own bounds on a redrive policy's maxReceiveCount. */
const MAX_RECEIVE_COUNT_LIMIT = 1_000;
const MIB = 1024 * 1024;
/** CopyObject's own limit: one request copies up to 5 GiB. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * MIB;
/** Smallest part UploadPartCopy accepts (except the last), so the smallest useful threshold. */
export const MIN_PART_BYTES = 5 * MIB;

export function loadWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const autoterminateMinutes = positiveNumber(env, WorkerEnv.autoterminateMinutes, DEFAULT_AUTOTERMINATE_MINUTES);
  return {
    queueUrl: url(env, WorkerEnv.queueUrl),
    tableName: required(env, WorkerEnv.tableName),
    bucketName: required(env, WorkerEnv.bucketName),
    region: required(env, WorkerEnv.region),
    instanceId: instanceId(env, WorkerEnv.instanceId),
    idleTimeoutMs: Math.round(autoterminateMinutes * 60_000),
    concurrency: integerInRange(env, WorkerEnv.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
    visibilityTimeoutSeconds: integerInRange(
      env,
      WorkerEnv.visibilityTimeoutSeconds,
      DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
      // The heartbeat fires at a third of the timeout, at least 1 s apart: 2 s still leaves two beats per timeout.
      2,
      MAX_VISIBILITY_TIMEOUT_SECONDS,
    ),
    maxReceiveCount: optionalIntegerInRange(env, WorkerEnv.maxReceiveCount, 1, MAX_RECEIVE_COUNT_LIMIT),
    multipartThresholdBytes: integerInRange(
      env,
      WorkerEnv.multipartThresholdBytes,
      MAX_SINGLE_COPY_BYTES,
      MIN_PART_BYTES,
      MAX_SINGLE_COPY_BYTES,
    ),
    logPath: optional(env, WorkerEnv.logPath) ?? WORKER_LOG_PATH,
    endpoint: optional(env, ENDPOINT_ENV) === undefined ? undefined : url(env, ENDPOINT_ENV),
  };
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name} must be set`);
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string): string {
  const value = required(env, name);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
  }
  return value;
}

function instanceId(env: NodeJS.ProcessEnv, name: string): string {
  const value = required(env, name);
  // It becomes part of an S3 key (logs/<instance-id>/…): keep it to one safe path segment.
  if (!/^[A-Za-z0-9._-]+$/.test(value) || value === '.' || value === '..') {
    throw new ConfigError(`${name} must be an instance ID such as i-0123456789abcdef0, got "${value}"`);
  }
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function integerInRange(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  return optionalIntegerInRange(env, name, min, max) ?? fallback;
}

function optionalIntegerInRange(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
