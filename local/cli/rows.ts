import { GetItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ItemAttribute, ItemStatus } from '../../contracts';
import { pause } from '../standins/pipe';

/** A row as the local run reports it. */
export interface RowState {
  readonly id: string;
  readonly status?: string;
  readonly outputPath?: string;
  /** The output keys a FINISHED row lists (up to 20). */
  readonly outputKeys?: readonly string[];
  readonly processedBy?: string;
  readonly failureReason?: string;
}

const TERMINAL_STATUSES: readonly string[] = [ItemStatus.FINISHED, ItemStatus.FAILED];

/** Rows per status in the whole table (a Scan: fine for a local table). Rows without a status count as "(none)". */
export async function countRowsByStatus(dynamodb: DynamoDBClient, tableName: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#status',
        ExpressionAttributeNames: { '#status': ItemAttribute.status },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const status = item[ItemAttribute.status]?.S ?? '(none)';
      counts[status] = (counts[status] ?? 0) + 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return counts;
}

/** One row, read consistently. */
export async function readRow(dynamodb: DynamoDBClient, tableName: string, id: string): Promise<RowState> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: tableName, Key: { [ItemAttribute.id]: { S: id } }, ConsistentRead: true }),
  );
  return {
    id,
    status: Item?.[ItemAttribute.status]?.S,
    outputPath: Item?.[ItemAttribute.outputPath]?.S,
    outputKeys: Item?.[ItemAttribute.outputKeys]?.L?.map((key) => key.S ?? ''),
    processedBy: Item?.[ItemAttribute.processedBy]?.S,
    failureReason: Item?.[ItemAttribute.failureReason]?.S,
  };
}

export function isTerminal(row: RowState): boolean {
  return row.status !== undefined && TERMINAL_STATUSES.includes(row.status);
}

/**
 * Polls the rows until every one is FINISHED or FAILED, or the deadline passes. Returns their last
 * states either way; the caller decides what a row still PENDING at the deadline means.
 */
export async function waitForTerminalRows(
  dynamodb: DynamoDBClient,
  tableName: string,
  ids: readonly string[],
  options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal; onPoll?: (rows: RowState[]) => void },
): Promise<RowState[]> {
  const deadline = Date.now() + options.timeoutMs;
  const signal = options.signal ?? new AbortController().signal;
  const latest = new Map<string, RowState>();
  for (;;) {
    for (const id of ids) {
      if (!latest.get(id) || !isTerminal(latest.get(id)!)) latest.set(id, await readRow(dynamodb, tableName, id));
    }
    const rows = ids.map((id) => latest.get(id)!);
    options.onPoll?.(rows);
    if (rows.every(isTerminal) || Date.now() >= deadline || signal.aborted) return rows;
    await pause(options.pollMs ?? 1000, signal);
  }
}
