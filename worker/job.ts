import type { Message } from '@aws-sdk/client-sqs';
import { describeError } from './describe-error';
import type { WorkerLogger } from './logger';
import { MessageParseError, parseMessage } from './message';
import type { ProcessingMetrics } from './metrics';
import { decide, givingUpReason, isLastReceive, type Decision } from './outcome';
import { checkOutput } from './processors/output-check';
import type { ProcessorRegistry } from './processors/registry';
import { Occupancy } from './occupancy';
import { submissionOf, type Submission } from './submission';
import { AlreadyRecordedError, readItem, recordFailed, recordFinished, ResubmittedError, type TableTarget, type WorkerUsage } from './table';
import { WorkerLogEvent } from '../contracts';

/** What the consumer does with a message once its handler returns. */
export type Disposition =
  /** The outcome is recorded (or there is none to record): delete the message. */
  | 'delete'
  /** Leave it: it becomes visible again after the visibility timeout and, after maxReceiveCount, goes to the DLQ. */
  | 'keep';

export interface JobDependencies {
  readonly table: TableTarget;
  readonly bucketName: string;
  /** The processors rows may name (the catalog), and the default. */
  readonly processors: ProcessorRegistry;
  /** The queue's maxReceiveCount; undefined: no last-receive rule (transient failures always go back). */
  readonly maxReceiveCount: number | undefined;
  readonly instanceId: string;
  /** The worker's instance type and purchase option, recorded with every outcome. @default {} — unknown, not recorded */
  readonly instance?: Pick<WorkerUsage, 'instanceType' | 'purchaseOption'>;
  /** Shares the worker's time among the rows it processes at once. @default one of its own (no sharing seen) */
  readonly occupancy?: Occupancy;
  readonly logger: WorkerLogger;
  readonly metrics: ProcessingMetrics;
  readonly now: () => Date;
}

/**
 * Reads of one row within one job. A row resubmitted while it was processed is read again and processed as it
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
 * Handles one message end to end: parse, read the row, decide, run its processor, record. Returns 'delete' only once
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
    const processedBy = typeof submission.processor === 'string' ? submission.processor : deps.processors.defaultProcessor;
    const disposition = await fail(deps, { ...log, last_receive: true }, itemId, submission, processedBy, reason, abortSignal);
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
  const decision = await decideWithCurrentCatalog(deps, row);
  switch (decision.action) {
    case 'drop':
      deps.logger.warn({ event: WorkerLogEvent.itemMissing, ...log, reason: decision.reason });
      return 'delete';
    case 'skip':
      deps.logger.info({ event: WorkerLogEvent.itemSkipped, ...log, reason: decision.reason });
      return 'delete';
    case 'fail':
      return fail(deps, { ...log, processor: decision.processedBy }, itemId, submissionOf(row!), decision.processedBy, decision.reason, abortSignal);
    case 'process':
      break;
  }

  const submission = submissionOf(row!);
  const { paths } = decision;
  const processor = deps.processors.find(decision.processor)!;
  const request = { itemId, bucketName: deps.bucketName, sourceKey: paths.sourceKey, rest: paths.rest, outputKey: paths.outputKey };
  const jobLog = { ...log, processor: processor.name, source_key: paths.sourceKey, output_key: paths.outputKey };
  deps.logger.info({ event: WorkerLogEvent.processingStarted, ...jobLog });
  const started = Date.now();
  const endRun = (deps.occupancy ?? new Occupancy()).begin();
  let outcome: Awaited<ReturnType<typeof processor.process>>;
  try {
    outcome = await processor.process(request, { abortSignal, logger: deps.logger });
  } finally {
    endRun();
  }
  const run = endRun();
  const usage: WorkerUsage = { ...deps.instance, processingSeconds: seconds(run.processingMs), instanceSeconds: seconds(run.instanceMs) };
  if (outcome.kind === 'failed') return fail(deps, jobLog, itemId, submission, processor.name, outcome.reason, abortSignal, usage);
  checkOutput(processor.name, request, outcome.output);
  const durationMs = Date.now() - started;
  const finishedLog = {
    ...jobLog,
    bytes: outcome.inputBytes,
    duration_ms: durationMs,
    output_count: outcome.output.keys.length,
    ...outcome.details,
  };
  deps.logger.info({ event: WorkerLogEvent.processingFinished, ...finishedLog });

  try {
    await recordFinished(
      deps.table,
      {
        itemId,
        submission,
        processedBy: processor.name,
        bucketName: deps.bucketName,
        output: outcome.output,
        finishedAt: deps.now().toISOString(),
        workerInstanceId: deps.instanceId,
        usage,
      },
      abortSignal,
    );
  } catch (error) {
    if (error instanceof ResubmittedError) return 'resubmitted';
    if (!(error instanceof AlreadyRecordedError)) throw error;
    deps.logger.info({ event: WorkerLogEvent.itemSkipped, ...finishedLog, reason: error.message });
    return 'delete';
  }
  deps.logger.info({ event: WorkerLogEvent.itemFinished, ...finishedLog, output_location_key: outcome.output.locationKey });
  deps.metrics.recordProcessed(outcome.inputBytes, durationMs);
  return 'delete';
}

/**
 * The decision, with the catalog read again first when the row names a processor this worker does not know: a
 * deploy may have added it since the worker started. A failed read is transient (thrown).
 */
async function decideWithCurrentCatalog(deps: JobDependencies, row: Record<string, unknown> | undefined): Promise<Decision> {
  const decision = decide(row, deps.bucketName, deps.processors);
  if (decision.action !== 'fail' || decision.unknownProcessor !== true) return decision;
  return (await deps.processors.refresh()) ? decide(row, deps.bucketName, deps.processors) : decision;
}

async function fail(
  deps: JobDependencies,
  log: LogFields,
  itemId: string,
  submission: Submission,
  processedBy: string,
  reason: string,
  abortSignal?: AbortSignal,
  usage: WorkerUsage = { ...deps.instance },
): Promise<RowResult> {
  try {
    await recordFailed(
      deps.table,
      { itemId, submission, processedBy, reason, finishedAt: deps.now().toISOString(), workerInstanceId: deps.instanceId, usage },
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

/** Seconds to the millisecond, as the row records them. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
