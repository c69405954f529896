import type { S3Client } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { copyObject } from './copy';
import { classifyCopyError } from './failures';
import type { WorkerLogger } from './logger';
import { MessageParseError, parseMessage } from './message';
import type { CopyMetrics } from './metrics';
import { decide } from './outcome';
import { AlreadyRecordedError, readItem, recordFailed, recordFinished, type TableTarget } from './table';

/** What the consumer does with a message once its handler returns. */
export type Disposition =
  /** The outcome is recorded (or there is none to record): delete the message. */
  | 'delete'
  /** Leave it: it becomes visible again after the visibility timeout and, after maxReceiveCount, goes to the DLQ. */
  | 'keep';

export interface JobDependencies {
  readonly s3: S3Client;
  readonly table: TableTarget;
  readonly bucketName: string;
  readonly multipartThresholdBytes: number;
  readonly instanceId: string;
  readonly logger: WorkerLogger;
  readonly metrics: CopyMetrics;
  readonly now: () => Date;
}

/**
 * Handles one message end to end: parse, read the row, decide, copy, record. Returns 'delete' only once
 * the row holds its outcome; throws on transient errors so the message is redelivered.
 */
export async function handleMessage(deps: JobDependencies, message: Message, abortSignal?: AbortSignal): Promise<Disposition> {
  const messageId = message.MessageId;
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
  let itemId: string;
  try {
    ({ itemId } = parseMessage(message.Body));
  } catch (error) {
    if (!(error instanceof MessageParseError)) throw error;
    deps.logger.error({
      event: 'message_unparseable',
      message_id: messageId,
      receive_count: receiveCount,
      reason: error.message,
    });
    return 'keep';
  }
  const log = { message_id: messageId, item_id: itemId, receive_count: receiveCount };
  deps.logger.info({ event: 'message_received', ...log });

  const decision = decide(await readItem(deps.table, itemId, abortSignal), deps.bucketName);
  switch (decision.action) {
    case 'drop':
      deps.logger.warn({ event: 'item_missing', ...log, reason: decision.reason });
      return 'delete';
    case 'skip':
      deps.logger.info({ event: 'item_skipped', ...log, reason: decision.reason });
      return 'delete';
    case 'fail':
      return fail(deps, log, itemId, decision.reason, abortSignal);
    case 'copy':
      break;
  }

  const { plan } = decision;
  const keys = { source_key: plan.sourceKey, destination_key: plan.destinationKey };
  deps.logger.info({ event: 'copy_started', ...log, ...keys });
  const started = Date.now();
  let copied;
  try {
    copied = await copyObject(
      deps.s3,
      {
        bucketName: deps.bucketName,
        sourceKey: plan.sourceKey,
        destinationKey: plan.destinationKey,
        multipartThresholdBytes: deps.multipartThresholdBytes,
      },
      abortSignal,
    );
  } catch (error) {
    const classification = classifyCopyError(error);
    if (!classification.permanent) throw error;
    return fail(
      deps,
      { ...log, ...keys },
      itemId,
      `${classification.reason}: s3://${deps.bucketName}/${plan.sourceKey}`,
      abortSignal,
    );
  }
  const durationMs = Date.now() - started;
  const copyLog = {
    ...log,
    ...keys,
    bytes: copied.bytes,
    duration_ms: durationMs,
    multipart: copied.multipart,
    parts: copied.parts,
  };
  deps.logger.info({ event: 'copy_finished', ...copyLog });

  try {
    await recordFinished(
      deps.table,
      { itemId, outputPath: plan.outputPath, finishedAt: deps.now().toISOString(), workerInstanceId: deps.instanceId },
      abortSignal,
    );
  } catch (error) {
    if (!(error instanceof AlreadyRecordedError)) throw error;
    deps.logger.info({ event: 'item_skipped', ...copyLog, reason: error.message });
    return 'delete';
  }
  deps.logger.info({ event: 'item_finished', ...copyLog, output_path: plan.outputPath });
  deps.metrics.recordCopy(copied.bytes, durationMs);
  return 'delete';
}

async function fail(
  deps: JobDependencies,
  log: Record<string, unknown>,
  itemId: string,
  reason: string,
  abortSignal?: AbortSignal,
): Promise<Disposition> {
  try {
    await recordFailed(
      deps.table,
      { itemId, reason, finishedAt: deps.now().toISOString(), workerInstanceId: deps.instanceId },
      abortSignal,
    );
  } catch (error) {
    if (!(error instanceof AlreadyRecordedError)) throw error;
    deps.logger.info({ event: 'item_skipped', ...log, reason: error.message });
    return 'delete';
  }
  deps.logger.warn({ event: 'item_failed', ...log, reason });
  deps.metrics.recordFailure();
  return 'delete';
}
