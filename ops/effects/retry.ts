import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus } from '../../contracts';
import { UsageError } from '../errors';
import type { RetryAllOutcome } from '../report';
import { rowsWithStatus, type StatusSource } from './status';

/**
 * Sets one FAILED row back to PENDING (the pipe then enqueues it again) and clears the previous outcome.
 * The update is conditional on FAILED, so a row another process just changed is never reset.
 * Throws UsageError for an unknown id or a row in another status.
 */
export async function retryRow(documents: DynamoDBDocumentClient, tableName: string, id: string): Promise<void> {
  if (await setPendingIfFailed(documents, tableName, id)) return;
  const { Item: item } = await documents.send(
    new GetCommand({ TableName: tableName, Key: { [ItemAttribute.id]: id }, ConsistentRead: true }),
  );
  if (!item) throw new UsageError(`no row with id "${id}" in table ${tableName}`);
  throw new UsageError(
    `row "${id}" is ${String(item[ItemAttribute.status])}, not ${ItemStatus.FAILED}: only ${ItemStatus.FAILED} rows can be retried`,
  );
}

/** Retries every FAILED row (from the status index, or a scan without one); the ids are listed first, then updated one by one. */
export async function retryAllFailed(documents: DynamoDBDocumentClient, source: StatusSource): Promise<RetryAllOutcome> {
  const ids = (await rowsWithStatus(documents, source, ItemStatus.FAILED, [ItemAttribute.id])).map((item) => String(item[ItemAttribute.id]));
  const retried: string[] = [];
  const skipped: string[] = [];
  for (const id of ids) {
    (await setPendingIfFailed(documents, source.tableName, id) ? retried : skipped).push(id);
  }
  return { retried, skipped };
}

/** False when the row is missing or not FAILED. */
async function setPendingIfFailed(documents: DynamoDBDocumentClient, tableName: string, id: string): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { [ItemAttribute.id]: id },
        UpdateExpression: 'SET #status = :pending REMOVE #reason, #finishedAt, #worker',
        ConditionExpression: '#status = :failed',
        ExpressionAttributeNames: {
          '#status': ItemAttribute.status,
          '#reason': ItemAttribute.failureReason,
          '#finishedAt': ItemAttribute.finishedAt,
          '#worker': ItemAttribute.workerInstanceId,
        },
        ExpressionAttributeValues: { ':pending': ItemStatus.PENDING, ':failed': ItemStatus.FAILED },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
