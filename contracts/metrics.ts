/**
 * The worker's CloudWatch metrics: published by worker/metrics.ts, allowed by the worker role's
 * `cloudwatch:namespace` condition (modules/ec2) and drawn by the dashboard (modules/dashboard).
 */
export const WorkerMetrics = {
  namespace: 'RagPipeline/Worker',
  /** Every datum carries this dimension, valued with the work queue's name: one series per deployment. */
  queueDimension: 'QueueName',
  /** Count: files processed and recorded FINISHED, whatever their processor. */
  filesProcessed: 'FilesProcessed',
  /** Bytes, a statistic set over the processed files' inputs. */
  bytesProcessed: 'BytesProcessed',
  /** Milliseconds, a statistic set over the processors' runs. */
  processingDuration: 'ProcessingDuration',
  /** Count: rows recorded FAILED. */
  filesFailed: 'FilesFailed',
} as const;

/**
 * The orchestrator's CloudWatch metrics: emitted by the orchestrator as Embedded Metric Format log lines
 * (CloudWatch extracts them from its log group, so no PutMetricData grant is needed) and watched by the
 * alarms (modules/alarms).
 */
export const OrchestratorMetrics = {
  namespace: 'RagPipeline/Orchestrator',
  /** Every datum carries this dimension, valued with the orchestrator's function name: one series per deployment. */
  functionDimension: 'FunctionName',
  /** The second dimension: which {@link LaunchFailureKind} or {@link LaunchDeferralKind}. */
  kindDimension: 'Kind',
  /** Count: RunInstances calls that failed, by kind. */
  launchFailures: 'LaunchFailures',
  /** Count: launches a tick wanted and deliberately did not make, by kind. */
  launchesDeferred: 'LaunchesDeferred',
} as const;

/**
 * Why a launch failed, as the LaunchFailures metric's Kind:
 * - `unauthorized`: the role may not launch (a policy, an SCP, a missing grant): needs a person at once.
 * - `instance-profile-not-ready`: EC2 does not see the instance profile yet (IAM propagation after a first
 *   apply): transient, pages only when it persists.
 * - `unsupported-image`: the AMI is not an x86_64 Ubuntu 24.04-or-later image from Canonical or AWS Deep Learning
 *   Base, which the bootstrap needs.
 * - `capacity`: no subnet and no instance type had room or support (after trying each).
 * - `throttled`: the EC2 API refused the rate after the SDK's retries.
 */
export const LaunchFailureKind = {
  unauthorized: 'unauthorized',
  instanceProfileNotReady: 'instance-profile-not-ready',
  unsupportedImage: 'unsupported-image',
  capacity: 'capacity',
  throttled: 'throttled',
} as const;
export type LaunchFailureKind = (typeof LaunchFailureKind)[keyof typeof LaunchFailureKind];

/** Why a tick deferred launches, as the LaunchesDeferred metric's Kind: recent boots failed, so it backs off. */
export const LaunchDeferralKind = {
  bootFailures: 'boot-failures',
} as const;
export type LaunchDeferralKind = (typeof LaunchDeferralKind)[keyof typeof LaunchDeferralKind];
