import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus, templateSafeText } from '../contracts';
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
  /** The submission that was copied: the write lands only while the row still holds it. */
  readonly submission: Submission;
  readonly outputPath: string;
  readonly finishedAt: string;
  readonly workerInstanceId: string;
}

/** PENDING → FINISHED with the output path; clears a failure reason left by an earlier attempt. */
export async function recordFinished(table: TableTarget, record: FinishedRecord, abortSignal?: AbortSignal): Promise<void> {
  await updateIfStillSubmitted(
    table,
    record,
    {
      UpdateExpression:
        'SET #status = :finished, #finishedAt = :finishedAt, #outputPath = :outputPath, #instance = :instance REMOVE #reason',
      ExpressionAttributeNames: {
        '#finishedAt': ItemAttribute.finishedAt,
        '#outputPath': ItemAttribute.outputPath,
        '#instance': ItemAttribute.workerInstanceId,
        '#reason': ItemAttribute.failureReason,
      },
      ExpressionAttributeValues: {
        ':finished': ItemStatus.FINISHED,
        ':finishedAt': record.finishedAt,
        ':outputPath': record.outputPath,
        ':instance': record.workerInstanceId,
      },
    },
    abortSignal,
  );
}

export interface FailedRecord {
  readonly itemId: string;
  /** The submission that failed: the write lands only while the row still holds it. */
  readonly submission: Submission;
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
      UpdateExpression: 'SET #status = :failed, #finishedAt = :finishedAt, #reason = :reason, #instance = :instance',
      ExpressionAttributeNames: {
        '#finishedAt': ItemAttribute.finishedAt,
        '#reason': ItemAttribute.failureReason,
        '#instance': ItemAttribute.workerInstanceId,
      },
      ExpressionAttributeValues: {
        ':failed': ItemStatus.FAILED,
        ':finishedAt': record.finishedAt,
        ':reason': templateSafeText(record.reason),
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
  try {
    await table.documentClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { [ItemAttribute.id]: record.itemId },
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: `#status = :pending AND ${path.expression} AND ${token.expression}`,
        ExpressionAttributeNames: {
          ...update.ExpressionAttributeNames,
          '#status': ItemAttribute.status,
          '#s3Path': ItemAttribute.s3Path,
          '#token': ItemAttribute.requestToken,
        },
        ExpressionAttributeValues: {
          ...update.ExpressionAttributeValues,
          ':pending': ItemStatus.PENDING,
          ...path.values,
          ...token.values,
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
