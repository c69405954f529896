import {
  AUTOTERMINATE_MINUTES,
  ENDPOINT_ENV,
  INTERRUPTION_RETRIES,
  MAX_RECEIVE_COUNT,
  SHUTDOWN_GRACE_SECONDS,
  VISIBILITY_TIMEOUT_SECONDS,
  WORKER_CONCURRENCY,
  WORKER_LOG_PATH,
  WORKER_SCRATCH_DIR,
  WORKER_MIN_VISIBILITY_TIMEOUT_SECONDS,
  WorkerEnv,
} from '../contracts';
import { type Env, EnvReader } from '../runtime/env';

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
  /** S3 key of the processor catalog in {@link bucketName}; undefined: the worker runs `copy` alone. */
  readonly processorCatalogKey: string | undefined;
  /** Where command processors make their per-job directories. */
  readonly scratchDir: string;
  /** Bytes of the scratch filesystem left free for the system and the log. */
  readonly scratchReserveBytes: number;
  /** The emulator's endpoint in local runs; undefined in AWS. */
  readonly endpoint: string | undefined;
  /** Interruptions a row survives without spending a receive (docs/capacity.md). */
  readonly interruptionRetries: number;
  /** Milliseconds a stopping worker lets running jobs finish before it releases and aborts them. */
  readonly shutdownGraceMs: number;
  /** The instance metadata stand-in of a local run or a test (a loopback URL); undefined on EC2: IMDS itself. */
  readonly imdsEndpoint: string | undefined;
}

/** The bench runs the worker at its default. */
export const DEFAULT_CONCURRENCY = WORKER_CONCURRENCY.default;
const MIB = 1024 * 1024;
/** CopyObject's own limit: one request copies up to 5 GiB. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * MIB;
/** Smallest part UploadPartCopy accepts (except the last), so the smallest useful threshold. */
export const MIN_PART_BYTES = 5 * MIB;

/**
 * The scratch filesystem is the instance's root volume, which also holds the system and the log: a command's
 * input may not use its last GiB.
 */
export const DEFAULT_SCRATCH_RESERVE_BYTES = 1024 * MIB;

/** Reads and validates the whole configuration; a ConfigError lists every problem at once. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  const read = new EnvReader(env);
  const autoterminateMinutes = read.positiveNumber(WorkerEnv.autoterminateMinutes, AUTOTERMINATE_MINUTES.default, AUTOTERMINATE_MINUTES.max);
  return read.finish({
    queueUrl: read.url(WorkerEnv.queueUrl),
    tableName: read.present(WorkerEnv.tableName),
    bucketName: read.present(WorkerEnv.bucketName),
    region: read.present(WorkerEnv.region),
    // It becomes part of an S3 key (logs/<instance-id>/…): keep it to one safe path segment.
    instanceId: read.required(WorkerEnv.instanceId, /^(?!\.\.?$)[A-Za-z0-9._-]+$/, 'an instance ID such as i-0123456789abcdef0'),
    idleTimeoutMs: Math.round(autoterminateMinutes * 60_000),
    concurrency: read.integer(WorkerEnv.concurrency, WORKER_CONCURRENCY.default, WORKER_CONCURRENCY),
    visibilityTimeoutSeconds: read.integer(WorkerEnv.visibilityTimeoutSeconds, VISIBILITY_TIMEOUT_SECONDS.default, {
      min: WORKER_MIN_VISIBILITY_TIMEOUT_SECONDS,
      max: VISIBILITY_TIMEOUT_SECONDS.max,
    }),
    maxReceiveCount: read.optionalInteger(WorkerEnv.maxReceiveCount, MAX_RECEIVE_COUNT),
    multipartThresholdBytes: read.integer(WorkerEnv.multipartThresholdBytes, MAX_SINGLE_COPY_BYTES, {
      min: MIN_PART_BYTES,
      max: MAX_SINGLE_COPY_BYTES,
    }),
    logPath: read.raw(WorkerEnv.logPath) ?? WORKER_LOG_PATH,
    processorCatalogKey: read.optional(WorkerEnv.processorCatalogKey, /^[^\s]{1,1024}$/, 'an S3 key'),
    scratchDir: read.string(WorkerEnv.scratchDir, WORKER_SCRATCH_DIR, /^\/.*[^/]$/, 'an absolute directory path'),
    scratchReserveBytes: read.integer(WorkerEnv.scratchReserveBytes, DEFAULT_SCRATCH_RESERVE_BYTES, { min: 0, max: Number.MAX_SAFE_INTEGER }),
    endpoint: read.optionalUrl(ENDPOINT_ENV),
    interruptionRetries: read.integer(WorkerEnv.interruptionRetries, INTERRUPTION_RETRIES.default, INTERRUPTION_RETRIES),
    shutdownGraceMs: read.integer(WorkerEnv.shutdownGraceSeconds, SHUTDOWN_GRACE_SECONDS.default, SHUTDOWN_GRACE_SECONDS) * 1000,
    // Loopback only: on an instance nothing but the link-local IMDS may tell the worker it is interrupted.
    imdsEndpoint: read.optional(WorkerEnv.imdsEndpoint, /^http:\/\/127\.0\.0\.1:\d{1,5}\/?$/, 'a loopback URL such as http://127.0.0.1:8080 (local runs and tests only)'),
  });
}
