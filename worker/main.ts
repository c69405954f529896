import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { INTERRUPTIONS_MESSAGE_ATTRIBUTE, interruptionMarkerKey, WorkerEnv, WorkerLogEvent } from '../contracts';
import { ConfigError } from '../runtime/env';
import { createClients, destroyClients, type WorkerClients } from './clients';
import { loadWorkerConfig, type WorkerConfig } from './config';
import { Consumer } from './consumer';
import { describeError } from './describe-error';
import { createInstanceMetadata, type InstanceMetadata } from './instance-metadata';
import { capacityTypeOf, jobsCutoffMs, type InterruptionNotice } from './interruption';
import { watchInterruptions, type InterruptionWatch } from './interruption-watcher';
import { handleMessage, type JobDependencies } from './job';
import { uploadLog } from './log-upload';
import { createFileLogger, type WorkerLogger } from './logger';
import { MetricsAggregator, queueNameOf, type ProcessingMetrics } from './metrics';
import { cloudWatchClientConfig } from './metrics-client';
import { MetricsPublisher } from './metrics-publisher';
import { buildProcessor } from './processors/build';
import { DEFAULT_COMMAND_PATH } from './processors/command/invocation';
import { ScratchSpace } from './processors/command/scratch';
import { readCatalog } from './processors/catalog-source';
import { Occupancy } from './occupancy';
import { ProcessorRegistry } from './processors/registry';
import { requeueInterrupted } from './requeue';
import type { WorkerUsage } from './table';

/** Exit codes of `node worker.js`; the bootstrap powers the instance off whatever the code. */
export const ExitCode = {
  /** Stopped when idle or on SIGTERM/SIGINT, in-flight messages finished or released. */
  STOPPED: 0,
  /** An unexpected error ended the loop; the log says which (`worker_crashed`). */
  CRASHED: 1,
  /**
   * The environment is invalid or the log file cannot be opened (stderr names the variable), or the processor
   * catalog cannot be read or is invalid (the log says why: `worker_crashed` is not written, `processors_unavailable` is).
   */
  BAD_CONFIGURATION: 2,
} as const;

const LOG_UPLOAD_TIMEOUT_MS = 30_000;
/** The catalog is one small object: the SDK's retries fit in this. */
const CATALOG_READ_TIMEOUT_MS = 30_000;
/** The instance's identity is a couple of local reads; without an answer in this time the rows go without it. */
const IDENTITY_TIMEOUT_MS = 5_000;
/** The interruption marker is one small object, written within the notice's two minutes. */
const MARKER_TIMEOUT_MS = 10_000;

/**
 * Reads the processor catalog, runs the consumer until it stops, publishes the last metrics, then uploads the
 * log. Resolves to the process exit code. Without `cloudwatch` the metrics are counted but not published (tests
 * that do not look at them). With `metadata` (the instance metadata service, or a local stand-in), the rows record
 * the instance's type and purchase option, and a Spot worker watches for interruptions (docs/capacity.md).
 */
export async function runWorker(
  config: WorkerConfig,
  clients: WorkerClients,
  logger: WorkerLogger,
  cloudwatch?: CloudWatchClient,
  metadata?: InstanceMetadata,
): Promise<number> {
  const processors = await loadProcessors(config, clients, logger);
  if (processors === undefined) {
    await shipLog(config, clients, logger, 'processors-unavailable');
    return ExitCode.BAD_CONFIGURATION;
  }
  const publisher =
    cloudwatch === undefined
      ? undefined
      : new MetricsPublisher({ cloudwatch, queueName: queueNameOf(config.queueUrl), logger });
  const metrics: ProcessingMetrics = publisher ?? new MetricsAggregator();
  const instance = metadata === undefined ? {} : await identify(metadata, logger);
  const table = { documentClient: clients.documentClient, tableName: config.tableName };
  const jobDependencies: JobDependencies = {
    table,
    bucketName: config.bucketName,
    processors,
    maxReceiveCount: config.maxReceiveCount,
    instanceId: config.instanceId,
    instance,
    occupancy: new Occupancy(),
    logger,
    metrics,
    now: () => new Date(),
  };
  const consumer = new Consumer({
    sqs: clients.sqs,
    queueUrl: config.queueUrl,
    concurrency: config.concurrency,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    idleTimeoutMs: config.idleTimeoutMs,
    shutdownGraceMs: config.shutdownGraceMs,
    logger,
    handle: (message, abortSignal) => handleMessage(jobDependencies, message, abortSignal),
    requeue: (message, delaySeconds) =>
      requeueInterrupted(
        { sqs: clients.sqs, queueUrl: config.queueUrl, table, interruptionRetries: config.interruptionRetries, logger, now: () => new Date() },
        message,
        delaySeconds,
      ),
    messageAttributeNames: [INTERRUPTIONS_MESSAGE_ATTRIBUTE],
  });
  // Only Spot instances get interruption notices and rebalance recommendations.
  let watch: InterruptionWatch | undefined;
  if (metadata !== undefined && instance.purchaseOption === 'spot') {
    watch = watchInterruptions({
      metadata,
      logger,
      onRebalance: () => {
        logger.warn({ event: WorkerLogEvent.rebalanceRecommended });
        consumer.finishAndStop();
      },
      onInterruption: (notice) => {
        const cutoffMs = jobsCutoffMs(notice, Date.now());
        logger.warn({
          event: WorkerLogEvent.interruptionNoticed,
          action: notice.action,
          deadline: new Date(notice.deadlineMs).toISOString(),
          jobs_stopped_at: new Date(cutoffMs).toISOString(),
        });
        consumer.interrupt(cutoffMs, new Date(notice.deadlineMs).toISOString());
        void markInterruption(config, clients, logger, notice);
      },
    });
  }
  // `on`, not `once`: with a listener installed Node never ends the process on these signals, so a repeated
  // SIGTERM (a second `systemctl stop`, an impatient Ctrl-C) is logged and the drain goes on to the log upload.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ event: WorkerLogEvent.signalRepeated, signal, signals });
      return;
    }
    logger.info({ event: WorkerLogEvent.signalReceived, signal });
    consumer.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let reason: string;
  let exitCode: number;
  logger.info({
    event: WorkerLogEvent.workerStarted,
    queue_url: config.queueUrl,
    table_name: config.tableName,
    bucket_name: config.bucketName,
    concurrency: config.concurrency,
    visibility_timeout_s: config.visibilityTimeoutSeconds,
    max_receive_count: config.maxReceiveCount ?? null,
    idle_timeout_ms: config.idleTimeoutMs,
    multipart_threshold_bytes: config.multipartThresholdBytes,
    scratch_dir: config.scratchDir,
    default_processor: processors.defaultProcessor,
  });
  publisher?.start();
  try {
    try {
      reason = await consumer.run();
      exitCode = ExitCode.STOPPED;
    } catch (error) {
      logger.fatal({ event: WorkerLogEvent.workerCrashed, error: describeError(error) });
      reason = 'crash';
      exitCode = ExitCode.CRASHED;
    }
    await publisher?.stop();
    logger.info({ event: WorkerLogEvent.workerStopped, reason, exit_code: exitCode });
    await shipLog(config, clients, logger, reason);
  } finally {
    watch?.stop();
    // Only now: a signal during the metrics flush or the log upload must not cut them short either.
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return exitCode;
}

/**
 * The instance's type and purchase option, read once at start (IMDS `instance-type`, `instance-life-cycle`). What
 * cannot be read is left out: the rows then go without it, and no interruption is watched for.
 */
async function identify(metadata: InstanceMetadata, logger: WorkerLogger): Promise<Pick<WorkerUsage, 'instanceType' | 'purchaseOption'>> {
  try {
    const signal = AbortSignal.timeout(IDENTITY_TIMEOUT_MS);
    const instanceType = await metadata.read('instance-type', signal);
    const purchaseOption = capacityTypeOf(await metadata.read('instance-life-cycle', signal));
    logger.info({ event: WorkerLogEvent.instanceIdentified, instance_type: instanceType ?? null, purchase_option: purchaseOption ?? null });
    return { ...(instanceType ? { instanceType } : {}), ...(purchaseOption ? { purchaseOption } : {}) };
  } catch (error) {
    logger.warn({ event: WorkerLogEvent.instanceMetadataFailed, error: describeError(error) });
    return {};
  }
}

/** Tells the orchestrator (logs/interruptions/) that a worker was interrupted; a failure is logged, never thrown. */
async function markInterruption(config: WorkerConfig, clients: WorkerClients, logger: WorkerLogger, notice: InterruptionNotice): Promise<void> {
  const key = interruptionMarkerKey(config.instanceId, new Date());
  try {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: config.bucketName,
        Key: key,
        ContentType: 'application/json',
        Body: JSON.stringify({ instance_id: config.instanceId, action: notice.action, deadline: new Date(notice.deadlineMs).toISOString() }),
      }),
      { abortSignal: AbortSignal.timeout(MARKER_TIMEOUT_MS) },
    );
    logger.info({ event: WorkerLogEvent.interruptionMarked, key });
  } catch (error) {
    logger.warn({ event: WorkerLogEvent.interruptionMarkFailed, key, error: describeError(error) });
  }
}

/**
 * The processors of the deployment's catalog; undefined (logged) when it cannot be read or is invalid: a worker
 * that cannot tell which processor a row needs must not take any message. The bootstrap then records a boot
 * failure, and the orchestrator backs off.
 */
async function loadProcessors(config: WorkerConfig, clients: WorkerClients, logger: WorkerLogger): Promise<ProcessorRegistry | undefined> {
  const location = { bucketName: config.bucketName, key: config.processorCatalogKey };
  const dependencies = {
    s3: clients.s3,
    multipartThresholdBytes: config.multipartThresholdBytes,
    scratch: new ScratchSpace({ root: config.scratchDir, reserveBytes: config.scratchReserveBytes }),
    commandPath: process.env.PATH ?? DEFAULT_COMMAND_PATH,
  };
  const build = (name: string, spec: Parameters<typeof buildProcessor>[2]) => buildProcessor(dependencies, name, spec);
  try {
    const catalog = await readCatalog(clients.s3, location, AbortSignal.timeout(CATALOG_READ_TIMEOUT_MS));
    logger.info({
      event: WorkerLogEvent.processorsLoaded,
      catalog_key: location.key ?? null,
      default_processor: catalog.defaultProcessor,
      processors: Object.keys(catalog.processors).sort(),
    });
    return new ProcessorRegistry({
      catalog,
      build,
      reload: location.key === undefined ? undefined : () => readCatalog(clients.s3, location, AbortSignal.timeout(CATALOG_READ_TIMEOUT_MS)),
    });
  } catch (error) {
    logger.fatal({ event: WorkerLogEvent.processorsUnavailable, catalog_key: location.key ?? null, error: describeError(error) });
    return undefined;
  }
}

/** Uploads the log file; a failure is logged, never thrown: the exit must not depend on it. */
async function shipLog(config: WorkerConfig, clients: WorkerClients, logger: WorkerLogger, reason: string): Promise<void> {
  try {
    const key = await uploadLog(
      clients.s3,
      { bucketName: config.bucketName, instanceId: config.instanceId, logPath: config.logPath, reason, now: new Date() },
      AbortSignal.timeout(LOG_UPLOAD_TIMEOUT_MS),
    );
    logger.info({ event: WorkerLogEvent.logUploaded, bucket_name: config.bucketName, key });
  } catch (error) {
    logger.error({ event: WorkerLogEvent.logUploadFailed, error: describeError(error) });
  }
}

async function main(): Promise<number> {
  let config: WorkerConfig;
  let logger: WorkerLogger;
  try {
    config = loadWorkerConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`worker: invalid configuration: ${error.message}\n`);
    return ExitCode.BAD_CONFIGURATION;
  }
  try {
    logger = createFileLogger(config.logPath, config.instanceId);
  } catch (error) {
    process.stderr.write(
      `worker: ${WorkerEnv.logPath} "${config.logPath}" cannot be opened for appending: ${describeError(error)}\n`,
    );
    return ExitCode.BAD_CONFIGURATION;
  }
  const clients = createClients(config);
  const cloudwatch = new CloudWatchClient(cloudWatchClientConfig(config));
  // A worker pointed at an emulator (a local run, a test) reads instance metadata only from a stand-in, never from
  // the link-local address of whatever machine it runs on.
  const metadata =
    config.imdsEndpoint !== undefined ? createInstanceMetadata({ endpoint: config.imdsEndpoint }) : config.endpoint === undefined ? createInstanceMetadata() : undefined;
  const crash = (error: unknown): void => {
    logger.fatal({ event: WorkerLogEvent.workerCrashed, error: describeError(error) });
    void shipLog(config, clients, logger, 'crash').finally(() => process.exit(ExitCode.CRASHED));
  };
  process.once('unhandledRejection', crash);
  process.once('uncaughtException', crash);
  try {
    return await runWorker(config, clients, logger, cloudwatch, metadata);
  } finally {
    destroyClients(clients);
    cloudwatch.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`worker: ${describeError(error)}\n`);
      process.exit(ExitCode.CRASHED);
    },
  );
}
