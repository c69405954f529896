import { paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus, STATUS_INDEX_NAME } from '../../contracts';
import type { FailedRow } from '../report';

/** Rows per status, counted on the status index (Select COUNT, every page). */
export async function countByStatus(
  documents: DynamoDBDocumentClient,
  tableName: string,
): Promise<Record<ItemStatus, number>> {
  const statuses = Object.values(ItemStatus);
  const counts = await Promise.all(
    statuses.map(async (status) => {
      let count = 0;
      for await (const page of paginateQuery({ client: documents }, { ...byStatus(tableName, status), Select: 'COUNT' })) {
        count += page.Count ?? 0;
      }
      return [status, count] as const;
    }),
  );
  return Object.fromEntries(counts) as Record<ItemStatus, number>;
}

/** Every FAILED row with what explains it, read from the status index. */
export async function listFailedRows(documents: DynamoDBDocumentClient, tableName: string): Promise<FailedRow[]> {
  const rows: FailedRow[] = [];
  for await (const page of paginateQuery({ client: documents }, byStatus(tableName, ItemStatus.FAILED))) {
    for (const item of page.Items ?? []) {
      rows.push({
        id: String(item[ItemAttribute.id]),
        s3Path: optionalString(item[ItemAttribute.s3Path]),
        reason: optionalString(item[ItemAttribute.failureReason]),
        finishedAt: optionalString(item[ItemAttribute.finishedAt]),
      });
    }
  }
  return rows;
}

export function byStatus(tableName: string, status: ItemStatus): QueryCommandInput {
  return {
    TableName: tableName,
    IndexName: STATUS_INDEX_NAME,
    KeyConditionExpression: '#status = :status',
    ExpressionAttributeNames: { '#status': ItemAttribute.status },
    ExpressionAttributeValues: { ':status': status },
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
