/**
 * The DynamoDB row that drives the pipeline: its key, its attributes and its status values.
 * Infrastructure (table, GSI, pipe filter) and runtime (worker, orchestrator, local run) import these names.
 */

/** Status values a row moves through. A user writes PENDING; the worker writes FINISHED or FAILED. */
export const ItemStatus = {
  PENDING: 'PENDING',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
} as const;
export type ItemStatus = (typeof ItemStatus)[keyof typeof ItemStatus];

/** Attribute names of a pipeline row. */
export const ItemAttribute = {
  /** Partition key (string). */
  id: 'id',
  /** One of {@link ItemStatus}; also the GSI's partition key. */
  status: 'status',
  /** `s3://<bucket>/data/input/<rest>`: the file to process. */
  s3Path: 's3_path',
  /**
   * Optional, written by producers: the name of the processor to run (contracts/processors.ts). Without it the
   * deployment's default processor runs.
   */
  processor: 'processor',
  /**
   * Written with FINISHED: where the outputs are, `s3://<bucket>/data/output/<rest>` for one object, or that
   * path followed by a suffix or a `/` (a prefix) for a processor that writes several.
   */
  outputPath: 'output_path',
  /** Written with FINISHED (a number): how many objects the processor wrote. */
  outputCount: 'output_count',
  /** Written with FINISHED when the processor wrote at most MAX_LISTED_OUTPUT_KEYS objects: their keys (a list). */
  outputKeys: 'output_keys',
  /** Written with FINISHED instead of output_keys when there are more: the key of a JSON manifest listing them. */
  outputManifest: 'output_manifest',
  /**
   * Written with FINISHED and FAILED: the processor that ran (the row's own choice or the default), or, when the
   * row named one that is not configured, that name.
   */
  processedBy: 'processed_by',
  /** ISO-8601 time the worker finished or failed the row. */
  finishedAt: 'finished_at',
  /** Short reason written with FAILED. */
  failureReason: 'failure_reason',
  /** EC2 instance ID of the worker that recorded the outcome. */
  workerInstanceId: 'worker_instance_id',
  /** Written with FINISHED and FAILED: the worker's instance type (from the instance metadata). */
  instanceType: 'instance_type',
  /** Written with FINISHED and FAILED: `spot` or `on-demand`, how the worker's instance was bought (CapacityType). */
  purchaseOption: 'purchase_option',
  /** Written with FINISHED and FAILED when the processor ran: its run time, in seconds (a number). */
  processingSeconds: 'processing_seconds',
  /**
   * Written with `processing_seconds`: the row's share of its worker's time, in seconds. While n rows run at once
   * on a worker, each is charged 1/n of each second; the cost estimate (`npx pipeline status`) prices these.
   */
  instanceSeconds: 'instance_seconds',
  /** A number: how many times a worker's interruption returned the row's work to the queue (docs/capacity.md). */
  interruptions: 'interruptions',
  /** ISO-8601 time of the latest interruption. */
  interruptedAt: 'interrupted_at',
  /**
   * Optional, written by producers: a fresh value for every submission. The worker records an outcome only
   * while the row still carries the token (and the s3_path) it copied, so a resubmission of the same path
   * is never mistaken for the earlier one.
   */
  requestToken: 'request_token',
} as const;

/** Name of the global secondary index keyed by status. */
export const STATUS_INDEX_NAME = 'status-index';
