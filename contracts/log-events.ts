/**
 * The `event` names of the pipeline's JSON log lines: one convention, snake_case, for the orchestrator, the
 * worker and the local run. The programs that write a line and the readers that parse it (the ops CLI's
 * users, the dashboard's Logs Insights query, the local run's soak, the bench) take the name from here.
 * Metric names (EMF) are another contract: contracts/metrics.ts.
 */

/** The orchestrator's lines, in its CloudWatch Logs group. */
export const OrchestratorLogEvent = {
  /** The configuration was refused at cold start (fatal): every invocation of the container fails. */
  coldStartFailed: 'cold_start_failed',
  /** Woken by the wake queue with an empty queue: it looks again once. */
  queueRecheck: 'queue_recheck',
  /** One per run: the summary the handler also returns. */
  tickCompleted: 'tick_completed',
  /** A run threw; what it did so far comes with the error. */
  tickFailed: 'tick_failed',
  /** One per launched worker: slot, instance, image, subnet, type and the attempts before. */
  workerLaunched: 'worker_launched',
  /** A launch failed, with its kind. */
  workerLaunchFailed: 'worker_launch_failed',
  /** Recent boot failures: launches wait. */
  launchDeferred: 'launch_deferred',
  /** The tick's launch budget (calls, deadline) ran out: the slots left go to the next tick. */
  launchesLeft: 'launches_left_for_next_tick',
} as const;
export type OrchestratorLogEventName = (typeof OrchestratorLogEvent)[keyof typeof OrchestratorLogEvent];

/** The worker's lines, in its log file (`/home/ubuntu/sqs_worker.logs`, uploaded under `logs/<instance-id>/`). */
export const WorkerLogEvent = {
  /** A command processor's program exited (or was stopped): how it ended, its time, its output sizes; the tails when it failed. */
  commandExited: 'command_exited',
  /** A command processor starts its program: the program, the input's size, the timeout. */
  commandStarted: 'command_started',
  deleteFailed: 'delete_failed',
  heartbeatFailed: 'heartbeat_failed',
  itemFailed: 'item_failed',
  itemFinished: 'item_finished',
  itemMissing: 'item_missing',
  itemResubmitted: 'item_resubmitted',
  itemSkipped: 'item_skipped',
  logUploadFailed: 'log_upload_failed',
  logUploaded: 'log_uploaded',
  messageLost: 'message_lost',
  messageReceived: 'message_received',
  messageRetry: 'message_retry',
  messageUnparseable: 'message_unparseable',
  metricsPublishFailed: 'metrics_publish_failed',
  metricsPublished: 'metrics_published',
  multipartPartsLeft: 'multipart_parts_left',
  /** A row's processor is done: its processor, input bytes, duration, output count and what the processor adds. */
  processingFinished: 'processing_finished',
  /** A row's processor starts: its name, the source key and the output key. */
  processingStarted: 'processing_started',
  /** At start: the processor catalog read (its key, the default, the names). */
  processorsLoaded: 'processors_loaded',
  /** At start: the processor catalog cannot be read or is invalid; the worker exits without taking a message. */
  processorsUnavailable: 'processors_unavailable',
  receiveFailed: 'receive_failed',
  /** A job's scratch directory could not be removed (its path and the error). */
  scratchCleanupFailed: 'scratch_cleanup_failed',
  /** A command's rerun deleted the outputs an earlier run left under the row's prefix and did not write again. */
  staleOutputsDeleted: 'stale_outputs_deleted',
  messageReleased: 'message_released',
  releaseFailed: 'release_failed',
  signalReceived: 'signal_received',
  signalRepeated: 'signal_repeated',
  visibilityCapReached: 'visibility_cap_reached',
  visibilityExtended: 'visibility_extended',
  workerCrashed: 'worker_crashed',
  workerIdle: 'worker_idle',
  workerPolling: 'worker_polling',
  workerStarted: 'worker_started',
  workerStopped: 'worker_stopped',
  workerStopping: 'worker_stopping',
  /** At start: the instance's type and purchase option, from the instance metadata. */
  instanceIdentified: 'instance_identified',
  /** A Spot interruption notice: no more receives; jobs still running at the cutoff are stopped. */
  interruptionNoticed: 'interruption_noticed',
  /** A rebalance recommendation: no more receives; the jobs in flight finish. */
  rebalanceRecommended: 'rebalance_recommended',
  /** The instance metadata could not be read (the poll goes on). */
  instanceMetadataFailed: 'instance_metadata_failed',
  /** An interrupted job's message was sent again with its interruption count, and the original deleted. */
  messageRequeued: 'message_requeued',
  /** Sending an interrupted job's message again failed: it is released instead. */
  requeueFailed: 'requeue_failed',
  /** The row's work was interrupted more than the bound allows: the message is released and the receive counts. */
  interruptionsExhausted: 'interruptions_exhausted',
  /** The row's interruption count could not be written. */
  interruptionNotRecorded: 'interruption_not_recorded',
  /** The interruption marker for the orchestrator was written to the bucket (or not: `interruption_mark_failed`). */
  interruptionMarked: 'interruption_marked',
  interruptionMarkFailed: 'interruption_mark_failed',
} as const;
export type WorkerLogEventName = (typeof WorkerLogEvent)[keyof typeof WorkerLogEvent];

/**
 * The bootstrap's lines (user data, a bash script: `log <event> <message>`), at the head of the same log file.
 * The script cannot import this list; __tests__/unit/contracts/log-events.test.ts holds the two together.
 */
export const BootstrapLogEvent = {
  bootstrapStarted: 'bootstrap_started',
  curlTooOld: 'curl_too_old',
  credentialsWaiting: 'credentials_waiting',
  credentialsUnavailable: 'credentials_unavailable',
  nodeDownloadStarted: 'node_download_started',
  nodeInstalled: 'node_installed',
  workerFetchStarted: 'worker_fetch_started',
  workerSetupStarted: 'worker_setup_started',
  workerSetupFinished: 'worker_setup_finished',
  workerServiceStarted: 'worker_service_started',
  workerExited: 'worker_exited',
  bootstrapExiting: 'bootstrap_exiting',
  bootstrapLogUploaded: 'bootstrap_log_uploaded',
  bootstrapLogUploadFailed: 'bootstrap_log_upload_failed',
  bootFailureMarked: 'boot_failure_marked',
  bootFailureMarkFailed: 'boot_failure_mark_failed',
  bootFailureNotMarked: 'boot_failure_not_marked',
} as const;
