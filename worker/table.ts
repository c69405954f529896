import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus } from '../contracts';

/** The row was no longer PENDING when the worker tried to record its outcome: someone else recorded one. */
export class AlreadyRecordedError extends Error {
  override readonly name = 'AlreadyRecordedError';
  constructor(readonly itemId: string, readonly currentStatus: string | undefined) {
    super(`item ${JSON.stringify(itemId)} is no longer ${ItemStatus.PENDING} (status ${currentStatus ?? 'unknown'})`);
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
  readonly outputPath: string;
  readonly finishedAt: string;
  readonly workerInstanceId: string;
}

/** PENDING → FINISHED with the output path; clears a failure reason left by an earlier attempt. */
export async function recordFinished(table: TableTarget, record: FinishedRecord, abortSignal?: AbortSignal): Promise<void> {
  await updateIfPending(
    table,
    record.itemId,
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
  readonly reason: string;
  readonly finishedAt: string;
  readonly workerInstanceId: string;
}

/** PENDING → FAILED with a short reason. */
export async function recordFailed(table: TableTarget, record: FailedRecord, abortSignal?: AbortSignal): Promise<void> {
  await updateIfPending(
    table,
    record.itemId,
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
        ':reason': record.reason,
        ':instance': record.workerInstanceId,
      },
    },
    abortSignal,
  );
}

interface StatusUpdate {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, string>;
}

async function updateIfPending(
  table: TableTarget,
  itemId: string,
  update: StatusUpdate,
  abortSignal?: AbortSignal,
): Promise<void> {
  try {
    await table.documentClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { [ItemAttribute.id]: itemId },
        UpdateExpression: update.UpdateExpression,
        // Only a PENDING row takes an outcome: a FINISHED row is never turned back, whoever writes second.
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': ItemAttribute.status },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':pending': ItemStatus.PENDING },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal },
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
      throw new AlreadyRecordedError(itemId, currentStatus(error));
    }
    throw error;
  }
}

/** The status the conflicting row had, from the failed write's ALL_OLD item (DynamoDB JSON). */
function currentStatus(error: unknown): string | undefined {
  const item = (error as { Item?: Record<string, { S?: unknown }> }).Item;
  const status = item?.[ItemAttribute.status]?.S;
  return typeof status === 'string' ? status : undefined;
}
