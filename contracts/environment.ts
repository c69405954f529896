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
  autoterminateMinutes: 'EC2_AUTOTERMINATE_MINUTES',
  subnetId: 'EC2_SUBNET_ID',
  securityGroupId: 'EC2_SECURITY_GROUP_ID',
  bucketName: 'S3_BUCKET_NAME',
  /** Empty when no key pair is configured. */
  keyName: 'EC2_KEY_NAME',
  instanceProfileName: 'EC2_INSTANCE_PROFILE_NAME',
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
} as const;

export const WorkerEnv = {
  queueUrl: 'SQS_QUEUE_URL',
  tableName: 'DYNAMODB_TABLE_NAME',
  bucketName: 'S3_BUCKET_NAME',
  /** Idle minutes (decimals allowed) before the worker stops and the instance powers off. */
  autoterminateMinutes: 'EC2_AUTOTERMINATE_MINUTES',
  concurrency: 'WORKER_CONCURRENCY',
  visibilityTimeoutSeconds: 'SQS_VISIBILITY_TIMEOUT_SECONDS',
  /** Objects larger than this are copied with multipart UploadPartCopy. */
  multipartThresholdBytes: 'S3_MULTIPART_THRESHOLD_BYTES',
  /** Log file path; the instance default is WORKER_LOG_PATH. */
  logPath: 'WORKER_LOG_PATH',
  /** Set by the user data from the instance metadata. */
  instanceId: 'WORKER_INSTANCE_ID',
  region: 'AWS_REGION',
} as const;

/**
 * The AWS SDK's own endpoint override. Unset in AWS; the local run and the emulator tests set it to moto.
 */
export const ENDPOINT_ENV = 'AWS_ENDPOINT_URL';
