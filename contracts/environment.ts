/**
 * Environment variable names shared by the infrastructure that sets them and the programs that read them.
 * The orchestrator's names are the original design's; the worker's are exported by the user data.
 */
export const OrchestratorEnv = {
  queueUrl: 'SQS_QUEUE_URL',
  tableName: 'DYNAMODB_TABLE_NAME',
  tagKey: 'EC2_TAG_KEY',
  tagValue: 'EC2_TAG_VALUE',
  /** An AMI ID (`ami-…`) or `resolve:ssm:<parameter>`. */
  amiId: 'EC2_AMI_ID',
  instanceType: 'EC2_INSTANCE_TYPE',
  /**
   * Comma-separated instance types after EC2_INSTANCE_TYPE, in preference order: every launch offers EC2 all of
   * them (on-demand tries them in this order; Spot picks by price and capacity). Empty: none.
   */
  fallbackInstanceTypes: 'EC2_FALLBACK_INSTANCE_TYPES',
  autoterminateMinutes: 'EC2_AUTOTERMINATE_MINUTES',
  /** The preferred subnet: the first the orchestrator launches into. */
  subnetId: 'EC2_SUBNET_ID',
  /** Comma-separated subnets in other availability zones, tried in order when the preferred one cannot launch. */
  fallbackSubnetIds: 'EC2_FALLBACK_SUBNET_IDS',
  bucketName: 'S3_BUCKET_NAME',
  /**
   * The workers' launch template (`lt-…`): the security group, the instance profile, the key pair, IMDSv2, the
   * shutdown behaviour and the volume tags, which no launch varies (modules/ec2).
   */
  launchTemplateId: 'EC2_LAUNCH_TEMPLATE_ID',
  /** The template's version number; it is part of every client token, so a new version never reuses one. */
  launchTemplateVersion: 'EC2_LAUNCH_TEMPLATE_VERSION',
  /** `on-demand`, `spot` or `spot-then-on-demand` (PurchaseOption in contracts/capacity.ts). */
  purchaseOption: 'EC2_PURCHASE_OPTION',
  /** Root volume size in GiB; a launch uses the image's root snapshot size when that is larger. */
  rootVolumeGib: 'EC2_ROOT_VOLUME_GIB',
  /** `true`: after a worker's Spot interruption, launches go on-demand for a while (docs/capacity.md). */
  onDemandAfterInterruption: 'EC2_ON_DEMAND_AFTER_INTERRUPTION',
  /** Interruptions a row survives without spending a receive, passed through to the worker. */
  interruptionRetries: 'WORKER_INTERRUPTION_RETRIES',
  /** Scale-out cap; 1 reproduces the original design. */
  maxWorkers: 'MAX_WORKERS',
  /** Visible messages one worker is expected to take; sizes the scale-out target. */
  messagesPerWorker: 'MESSAGES_PER_WORKER',
  /** Value of the workers' `Name` tag. */
  workerName: 'EC2_WORKER_NAME',
  /** JSON object of extra tags (project, environment, managed-by) put on workers and their volumes. */
  workerTags: 'EC2_WORKER_TAGS',
  /** S3 key of the worker bundle in the pipeline bucket. */
  workerCodeKey: 'WORKER_CODE_S3_KEY',
  /** Parallel copies per worker, passed through to the worker. */
  workerConcurrency: 'WORKER_CONCURRENCY',
  /** The work queue's visibility timeout, passed through so the worker heartbeats in time. */
  visibilityTimeoutSeconds: 'SQS_VISIBILITY_TIMEOUT_SECONDS',
  /** The work queue's maxReceiveCount, passed through to the worker (its last-receive rule). */
  maxReceiveCount: 'SQS_MAX_RECEIVE_COUNT',
} as const;

export type OrchestratorEnvName = (typeof OrchestratorEnv)[keyof typeof OrchestratorEnv];

/**
 * Variables the stack sets only when a feature is configured, so a deployment without it keeps the very
 * environment it had before the feature existed.
 */
export const OptionalOrchestratorEnv = {
  /** S3 key of the processor catalog, passed through to the worker; unset when only `copy` is configured. */
  processorCatalogKey: 'WORKER_PROCESSOR_CATALOG_KEY',
  /** S3 key of the worker setup script, passed through to the bootstrap; unset when none is configured. */
  workerSetupKey: 'WORKER_SETUP_S3_KEY',
  /** The setup script's timeout in seconds, passed through to the bootstrap with the key. */
  workerSetupTimeoutSeconds: 'WORKER_SETUP_TIMEOUT_SECONDS',
} as const;

export type OptionalOrchestratorEnvName = (typeof OptionalOrchestratorEnv)[keyof typeof OptionalOrchestratorEnv];

/**
 * The orchestrator function's environment as the stack sets it: every name, so leaving one out is a compile
 * error in main.ts. The optional ones are set empty: EC2_KEY_NAME without a key pair, the fallback lists
 * without fallbacks. The {@link OptionalOrchestratorEnv} names are left out unless their feature is on.
 */
export type OrchestratorEnvironment = Readonly<Record<OrchestratorEnvName, string>> &
  Readonly<Partial<Record<OptionalOrchestratorEnvName, string>>>;

export const WorkerEnv = {
  queueUrl: 'SQS_QUEUE_URL',
  tableName: 'DYNAMODB_TABLE_NAME',
  bucketName: 'S3_BUCKET_NAME',
  /** Idle minutes (decimals allowed) before the worker stops and the instance powers off. */
  autoterminateMinutes: 'EC2_AUTOTERMINATE_MINUTES',
  concurrency: 'WORKER_CONCURRENCY',
  visibilityTimeoutSeconds: 'SQS_VISIBILITY_TIMEOUT_SECONDS',
  /**
   * The work queue's maxReceiveCount: on the receive that reaches it, the worker records FAILED with the last
   * error instead of leaving the message for the dead-letter queue.
   */
  maxReceiveCount: 'SQS_MAX_RECEIVE_COUNT',
  /** Objects larger than this are copied with multipart UploadPartCopy. */
  multipartThresholdBytes: 'S3_MULTIPART_THRESHOLD_BYTES',
  /** Log file path; the instance default is WORKER_LOG_PATH. */
  logPath: 'WORKER_LOG_PATH',
  /** Set by the user data from the instance metadata. */
  instanceId: 'WORKER_INSTANCE_ID',
  /** Seconds a stopping worker lets running jobs finish before it releases them (SHUTDOWN_GRACE_SECONDS). */
  shutdownGraceSeconds: 'WORKER_SHUTDOWN_GRACE_SECONDS',
  /** Interruptions a row survives without spending a receive (INTERRUPTION_RETRIES in contracts/capacity.ts). */
  interruptionRetries: 'WORKER_INTERRUPTION_RETRIES',
  /**
   * The instance metadata service's address, for local runs and tests only: the worker accepts nothing but a
   * loopback URL here, and the user data never sets it (on EC2 the worker reads http://169.254.169.254).
   */
  imdsEndpoint: 'WORKER_IMDS_ENDPOINT',
  /** S3 key of the processor catalog in the bucket; unset: the worker runs `copy` alone. */
  processorCatalogKey: 'WORKER_PROCESSOR_CATALOG_KEY',
  /** Where command processors make their per-job directories; the instance default is WORKER_SCRATCH_DIR. */
  scratchDir: 'WORKER_SCRATCH_DIR',
  /** Bytes of the scratch filesystem kept free for the system and the log; inputs that need them are refused. */
  scratchReserveBytes: 'WORKER_SCRATCH_RESERVE_BYTES',
  region: 'AWS_REGION',
} as const;

/**
 * The AWS SDK's own endpoint override. Unset in AWS; the local run and the emulator tests set it to moto.
 */
export const ENDPOINT_ENV = 'AWS_ENDPOINT_URL';
