import type { S3Client } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { copyObject } from './copy';
import { describeError } from './describe-error';
import { classifyCopyError } from './failures';
import type { WorkerLogger } from './logger';
import { MessageParseError, parseMessage } from './message';
import type { CopyMetrics } from './metrics';
import { decide, givingUpReason, isLastReceive } from './outcome';
import { submissionOf, type Submission } from './submission';
import { AlreadyRecordedError, readItem, recordFailed, recordFinished, ResubmittedError, type TableTarget } from './table';
import { WorkerLogEvent } from '../contracts';

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
  /** The queue's maxReceiveCount; undefined: no last-receive rule (transient failures always go back). */
  readonly maxReceiveCount: number | undefined;
  readonly instanceId: string;
  readonly logger: WorkerLogger;
  readonly metrics: CopyMetrics;
  readonly now: () => Date;
}

/**
 * Reads of one row within one job. A row resubmitted while it was copied is read again and processed as it
 * now is; a row resubmitted over and over is left for the next receive.
 */
const MAX_ROW_READS = 3;

/** The row kept being resubmitted while this job processed it. */
export class RowKeepsChangingError extends Error {
  override readonly name = 'RowKeepsChangingError';
  constructor(readonly itemId: string) {
    super(`item ${JSON.stringify(itemId)} was resubmitted ${MAX_ROW_READS} times while it was processed`);
  }
}

type LogFields = Record<string, unknown>;
/** A row's processing ends in a disposition, or finds the row resubmitted and must start over. */
type RowResult = Disposition | 'resubmitted';

/**
 * Handles one message end to end: parse, read the row, decide, copy, record. Returns 'delete' only once
 * the row holds its outcome; throws on transient errors so the message is redelivered, except on the last
 * allowed receive, where the row is FAILED with the error instead (the DLQ then only ever holds messages
 * whose worker died holding them, and bodies that name no row).
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
      event: WorkerLogEvent.messageUnparseable,
      message_id: messageId,
      receive_count: receiveCount,
      reason: error.message,
    });
    return 'keep';
  }
  const log = { message_id: messageId, item_id: itemId, receive_count: receiveCount };
  deps.logger.info({ event: WorkerLogEvent.messageReceived, ...log });

  let submission: Submission | undefined;
  try {
    for (let read = 1; ; read++) {
      const row = await readItem(deps.table, itemId, abortSignal);
      submission = row === undefined ? undefined : submissionOf(row);
      const result = await processRow(deps, log, itemId, row, abortSignal);
      if (result !== 'resubmitted') return result;
      deps.logger.info({ event: WorkerLogEvent.itemResubmitted, ...log, read });
      if (read >= MAX_ROW_READS) throw new RowKeepsChangingError(itemId);
    }
  } catch (error) {
    // A job aborted (stop, or the message taken by another receive) is not a failure of the row; and a row
    // never read has no submission to pin the write to: both go back to the queue.
    if (!isLastReceive(receiveCount, deps.maxReceiveCount) || abortSignal?.aborted || submission === undefined) throw error;
    const reason = givingUpReason(receiveCount, describeError(error));
    const disposition = await fail(deps, { ...log, last_receive: true }, itemId, submission, reason, abortSignal);
    // Resubmitted at this very moment: the new submission gets its chance on the next receive, or the DLQ.
    if (disposition === 'resubmitted') throw error;
    return disposition;
  }
}

async function processRow(
  deps: JobDependencies,
  log: LogFields,
  itemId: string,
  row: Record<string, unknown> | undefined,
  abortSignal?: AbortSignal,
): Promise<RowResult> {
  const decision = decide(row, deps.bucketName);
  switch (decision.action) {
    case 'drop':
      deps.logger.warn({ event: WorkerLogEvent.itemMissing, ...log, reason: decision.reason });
      return 'delete';
    case 'skip':
      deps.logger.info({ event: WorkerLogEvent.itemSkipped, ...log, reason: decision.reason });
      return 'delete';
    case 'fail':
      return fail(deps, log, itemId, submissionOf(row!), decision.reason, abortSignal);
    case 'copy':
      break;
  }

  const submission = submissionOf(row!);
  const { plan } = decision;
  const keys = { source_key: plan.sourceKey, destination_key: plan.destinationKey };
  deps.logger.info({ event: WorkerLogEvent.copyStarted, ...log, ...keys });
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
      { abortSignal, logger: deps.logger },
    );
  } catch (error) {
    const classification = classifyCopyError(error);
    if (!classification.permanent) throw error;
    return fail(
      deps,
      { ...log, ...keys },
      itemId,
      submission,
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
  deps.logger.info({ event: WorkerLogEvent.copyFinished, ...copyLog });

  try {
    await recordFinished(
      deps.table,
      { itemId, submission, outputPath: plan.outputPath, finishedAt: deps.now().toISOString(), workerInstanceId: deps.instanceId },
      abortSignal,
    );
  } catch (error) {
    if (error instanceof ResubmittedError) return 'resubmitted';
    if (!(error instanceof AlreadyRecordedError)) throw error;
    deps.logger.info({ event: WorkerLogEvent.itemSkipped, ...copyLog, reason: error.message });
    return 'delete';
  }
  deps.logger.info({ event: WorkerLogEvent.itemFinished, ...copyLog, output_path: plan.outputPath });
  deps.metrics.recordCopy(copied.bytes, durationMs);
  return 'delete';
}

async function fail(
  deps: JobDependencies,
  log: LogFields,
  itemId: string,
  submission: Submission,
  reason: string,
  abortSignal?: AbortSignal,
): Promise<RowResult> {
  try {
    await recordFailed(
      deps.table,
      { itemId, submission, reason, finishedAt: deps.now().toISOString(), workerInstanceId: deps.instanceId },
      abortSignal,
    );
  } catch (error) {
    if (error instanceof ResubmittedError) return 'resubmitted';
    if (!(error instanceof AlreadyRecordedError)) throw error;
    deps.logger.info({ event: WorkerLogEvent.itemSkipped, ...log, reason: error.message });
    return 'delete';
  }
  deps.logger.warn({ event: WorkerLogEvent.itemFailed, ...log, reason });
  deps.metrics.recordFailure();
  return 'delete';
}
