import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus, templateSafeText } from '../contracts';
import { s3Url } from '../runtime/item-paths';
import type { ProcessorOutput } from './processors/processor';
import { pinCondition, type Submission } from './submission';

/** The row was no longer PENDING when the worker tried to record its outcome: someone else recorded one. */
export class AlreadyRecordedError extends Error {
  override readonly name = 'AlreadyRecordedError';
  constructor(readonly itemId: string, readonly currentStatus: string | undefined) {
    super(`item ${JSON.stringify(itemId)} is no longer ${ItemStatus.PENDING} (status ${currentStatus ?? 'unknown'})`);
  }
}

/**
 * The row is still PENDING but no longer the submission the worker read (another s3_path or request_token):
 * it was resubmitted meanwhile. Its outcome is still to be decided, from the row as it is now.
 */
export class ResubmittedError extends Error {
  override readonly name = 'ResubmittedError';
  constructor(readonly itemId: string) {
    super(`item ${JSON.stringify(itemId)} was resubmitted while it was being processed`);
  }
}

export interface TableTarget {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Reads the row with a consistent read, so a row written just before its message is always seen. */
export async function readItem(
  table: TableTarget,
  itemId: string,
  abortSignal?: AbortSignal,
): Promise<Record<string, unknown> | undefined> {
  const result = await table.documentClient.send(
    new GetCommand({ TableName: table.tableName, Key: { [ItemAttribute.id]: itemId }, ConsistentRead: true }),
    { abortSignal },
  );
  return result.Item;
}

export interface FinishedRecord {
  readonly itemId: string;
  /** The submission that was processed: the write lands only while the row still holds it. */
  readonly submission: Submission;
  /** The processor that ran. */
  readonly processedBy: string;
  readonly bucketName: string;
  /** What the processor wrote; checked by checkOutput (worker/processors/output-check.ts). */
  readonly output: ProcessorOutput;
  readonly finishedAt: string;
  readonly workerInstanceId: string;
}

/**
 * PENDING → FINISHED with the processor, where its outputs are and how many; clears what an earlier outcome of
 * the row left (a failure reason, another run's list of outputs). The processor's own numbers (a chunk count)
 * are set by name.
 */
export async function recordFinished(table: TableTarget, record: FinishedRecord, abortSignal?: AbortSignal): Promise<void> {
  const { output } = record;
  const listing = output.manifestKey === undefined
    ? { set: ['#outputKeys = :outputKeys'], remove: ['#outputManifest'], values: { ':outputKeys': [...output.keys] } }
    : { set: ['#outputManifest = :outputManifest'], remove: ['#outputKeys'], values: { ':outputManifest': s3Url(record.bucketName, output.manifestKey) } };
  const extra = Object.entries(output.attributes ?? {});
  await updateIfStillSubmitted(
    table,
    record,
    {
      UpdateExpression:
        'SET #status = :finished, #finishedAt = :finishedAt, #outputPath = :outputPath, #outputCount = :outputCount, ' +
        `#processedBy = :processedBy, #instance = :instance, ${[...listing.set, ...extra.map((_, index) => `#extra${index} = :extra${index}`)].join(', ')} ` +
        `REMOVE #reason, ${listing.remove.join(', ')}`,
      ExpressionAttributeNames: {
        '#finishedAt': ItemAttribute.finishedAt,
        '#outputPath': ItemAttribute.outputPath,
        '#outputCount': ItemAttribute.outputCount,
        '#outputKeys': ItemAttribute.outputKeys,
        '#outputManifest': ItemAttribute.outputManifest,
        '#processedBy': ItemAttribute.processedBy,
        '#instance': ItemAttribute.workerInstanceId,
        '#reason': ItemAttribute.failureReason,
        ...Object.fromEntries(extra.map(([name], index) => [`#extra${index}`, name])),
      },
      ExpressionAttributeValues: {
        ':finished': ItemStatus.FINISHED,
        ':finishedAt': record.finishedAt,
        ':outputPath': s3Url(record.bucketName, output.locationKey),
        ':outputCount': output.keys.length,
        ':processedBy': record.processedBy,
        ':instance': record.workerInstanceId,
        ...listing.values,
        ...Object.fromEntries(extra.map(([, value], index) => [`:extra${index}`, value])),
      },
    },
    abortSignal,
  );
}

export interface FailedRecord {
  readonly itemId: string;
  /** The submission that failed: the write lands only while the row still holds it. */
  readonly submission: Submission;
  /** The processor that ran or was to run; the name the row asked for when it is not configured. */
  readonly processedBy: string;
  readonly reason: string;
  readonly finishedAt: string;
  readonly workerInstanceId: string;
}

/**
 * PENDING → FAILED with a short reason, written without `"`, `\` or control characters: the reason becomes the
 * item event's `detail.reason`, and AWS may not escape it in the input template (contracts/events.ts).
 */
export async function recordFailed(table: TableTarget, record: FailedRecord, abortSignal?: AbortSignal): Promise<void> {
  await updateIfStillSubmitted(
    table,
    record,
    {
      UpdateExpression:
        'SET #status = :failed, #finishedAt = :finishedAt, #reason = :reason, #processedBy = :processedBy, #instance = :instance',
      ExpressionAttributeNames: {
        '#finishedAt': ItemAttribute.finishedAt,
        '#reason': ItemAttribute.failureReason,
        '#processedBy': ItemAttribute.processedBy,
        '#instance': ItemAttribute.workerInstanceId,
      },
      ExpressionAttributeValues: {
        ':failed': ItemStatus.FAILED,
        ':finishedAt': record.finishedAt,
        ':reason': templateSafeText(record.reason),
        ':processedBy': templateSafeText(record.processedBy),
        ':instance': record.workerInstanceId,
      },
    },
    abortSignal,
  );
}

interface StatusUpdate {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

async function updateIfStillSubmitted(
  table: TableTarget,
  record: { readonly itemId: string; readonly submission: Submission },
  update: StatusUpdate,
  abortSignal?: AbortSignal,
): Promise<void> {
  // Only a PENDING row takes an outcome (a FINISHED row is never turned back, whoever writes second), and only
  // while it is the submission the worker read: a resubmission meanwhile must not inherit an older outcome.
  const path = pinCondition('#s3Path', ':s3Path', ':s3PathType', record.submission.s3Path);
  const token = pinCondition('#token', ':token', ':tokenType', record.submission.requestToken);
  const processor = pinCondition('#processor', ':processor', ':processorType', record.submission.processor);
  try {
    await table.documentClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { [ItemAttribute.id]: record.itemId },
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: `#status = :pending AND ${path.expression} AND ${token.expression} AND ${processor.expression}`,
        ExpressionAttributeNames: {
          ...update.ExpressionAttributeNames,
          '#status': ItemAttribute.status,
          '#s3Path': ItemAttribute.s3Path,
          '#token': ItemAttribute.requestToken,
          '#processor': ItemAttribute.processor,
        },
        ExpressionAttributeValues: {
          ...update.ExpressionAttributeValues,
          ':pending': ItemStatus.PENDING,
          ...path.values,
          ...token.values,
          ...processor.values,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal },
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
      const status = currentStatus(error);
      if (status === ItemStatus.PENDING) throw new ResubmittedError(record.itemId);
      throw new AlreadyRecordedError(record.itemId, status);
    }
    throw error;
  }
}

/** The status the conflicting row had, from the failed write's ALL_OLD item (DynamoDB JSON); undefined if gone. */
function currentStatus(error: unknown): string | undefined {
  const item = (error as { Item?: Record<string, { S?: unknown }> }).Item;
  const status = item?.[ItemAttribute.status]?.S;
  return typeof status === 'string' ? status : undefined;
}
