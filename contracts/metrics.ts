/**
 * The worker's CloudWatch metrics: published by worker/metrics.ts, allowed by the worker role's
 * `cloudwatch:namespace` condition (modules/ec2) and drawn by the dashboard (modules/dashboard).
 */
export const WorkerMetrics = {
  namespace: 'RagPipeline/Worker',
  /** Every datum carries this dimension, valued with the work queue's name: one series per deployment. */
  queueDimension: 'QueueName',
  /** Count: files copied and recorded FINISHED. */
  filesCopied: 'FilesCopied',
  /** Bytes, a statistic set over the copied files. */
  bytesCopied: 'BytesCopied',
  /** Milliseconds, a statistic set over the copies. */
  copyDuration: 'CopyDuration',
  /** Count: rows recorded FAILED. */
  filesFailed: 'FilesFailed',
} as const;
