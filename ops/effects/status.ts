import { GetCommand, paginateQuery, paginateScan, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { CHUNK_COUNT_ATTRIBUTE, ItemAttribute, ItemStatus } from '../../contracts';
import type { UsageRow } from '../cost';
import type { FailedRow, RowDetail } from '../report';

/**
 * Where the CLI reads rows by status: the table's status index, or, when the stack has none
 * (PIPELINE_STATUS_INDEX=false, docs/scale.md §4), the table itself with a parallel Scan.
 */
export interface StatusSource {
  readonly tableName: string;
  /** undefined: no index, scan the table. */
  readonly statusIndexName?: string;
}

/** Scan segments read at once when there is no index. */
const SCAN_SEGMENTS = 4;

type Row = Record<string, unknown>;

/** Rows per status: a COUNT query per status on the index, or one scan of the table counting every status. */
export async function countByStatus(documents: DynamoDBDocumentClient, source: StatusSource): Promise<Record<ItemStatus, number>> {
  const statuses = Object.values(ItemStatus);
  if (source.statusIndexName === undefined) {
    const counts = Object.fromEntries(statuses.map((status) => [status, 0])) as Record<ItemStatus, number>;
    for (const row of await scan(documents, source.tableName, { ProjectionExpression: '#status', ExpressionAttributeNames: { '#status': ItemAttribute.status } })) {
      const status = row[ItemAttribute.status];
      if (statuses.includes(status as ItemStatus)) counts[status as ItemStatus] += 1;
    }
    return counts;
  }
  const indexName = source.statusIndexName;
  const counts = await Promise.all(
    statuses.map(async (status) => {
      let count = 0;
      for await (const page of paginateQuery({ client: documents }, { ...byStatus(source.tableName, indexName, status), Select: 'COUNT' })) {
        count += page.Count ?? 0;
      }
      return [status, count] as const;
    }),
  );
  return Object.fromEntries(counts) as Record<ItemStatus, number>;
}

/** Every row with the status (only `attributes` of it when given), from the index or a filtered scan. */
export async function rowsWithStatus(
  documents: DynamoDBDocumentClient,
  source: StatusSource,
  status: ItemStatus,
  attributes?: readonly string[],
): Promise<Row[]> {
  const names = { '#status': ItemAttribute.status, ...Object.fromEntries((attributes ?? []).map((name, index) => [`#a${index}`, name])) };
  const projection = attributes === undefined ? {} : { ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(', ') };
  if (source.statusIndexName === undefined) {
    return scan(documents, source.tableName, {
      FilterExpression: '#status = :status',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':status': status },
      ...projection,
    });
  }
  const rows: Row[] = [];
  const query = { ...byStatus(source.tableName, source.statusIndexName, status), ExpressionAttributeNames: names, ...projection };
  for await (const page of paginateQuery({ client: documents }, query)) rows.push(...(page.Items ?? []));
  return rows;
}

/** Every FAILED row with what explains it. */
export async function listFailedRows(documents: DynamoDBDocumentClient, source: StatusSource): Promise<FailedRow[]> {
  return (await rowsWithStatus(documents, source, ItemStatus.FAILED)).map((item) => ({
    id: String(item[ItemAttribute.id]),
    s3Path: optionalString(item[ItemAttribute.s3Path]),
    reason: optionalString(item[ItemAttribute.failureReason]),
    finishedAt: optionalString(item[ItemAttribute.finishedAt]),
    processor: optionalString(item[ItemAttribute.processedBy]),
  }));
}

/**
 * What the cost estimate reads of every FINISHED and FAILED row (finished at or after `since`, when given): one
 * query per status on the index (a scan without one), of a few attributes only.
 */
export async function readUsage(documents: DynamoDBDocumentClient, source: StatusSource, since?: Date): Promise<UsageRow[]> {
  const attributes = [
    ItemAttribute.instanceType,
    ItemAttribute.purchaseOption,
    ItemAttribute.instanceSeconds,
    ItemAttribute.processingSeconds,
    ItemAttribute.interruptions,
    ItemAttribute.finishedAt,
  ];
  const rows = (await Promise.all([ItemStatus.FINISHED, ItemStatus.FAILED].map((status) => rowsWithStatus(documents, source, status, attributes)))).flat();
  const after = since?.toISOString();
  return rows
    .filter((item) => after === undefined || (optionalString(item[ItemAttribute.finishedAt]) ?? '') >= after)
    .map((item) => usageOf(item));
}

function usageOf(item: Row): UsageRow {
  return {
    instanceType: optionalString(item[ItemAttribute.instanceType]),
    purchaseOption: optionalString(item[ItemAttribute.purchaseOption]),
    instanceSeconds: optionalNumber(item[ItemAttribute.instanceSeconds]),
    processingSeconds: optionalNumber(item[ItemAttribute.processingSeconds]),
    interruptions: optionalNumber(item[ItemAttribute.interruptions]),
  };
}

/** One row as `status <id>` shows it; undefined when there is no such row. */
export async function readRowDetail(documents: DynamoDBDocumentClient, tableName: string, id: string): Promise<RowDetail | undefined> {
  const { Item: item } = await documents.send(new GetCommand({ TableName: tableName, Key: { [ItemAttribute.id]: id }, ConsistentRead: true }));
  if (item === undefined) return undefined;
  const keys = item[ItemAttribute.outputKeys];
  const count = item[ItemAttribute.outputCount];
  const chunks = item[CHUNK_COUNT_ATTRIBUTE];
  return {
    id,
    status: optionalString(item[ItemAttribute.status]),
    s3Path: optionalString(item[ItemAttribute.s3Path]),
    processorRequested: optionalString(item[ItemAttribute.processor]),
    processedBy: optionalString(item[ItemAttribute.processedBy]),
    outputPath: optionalString(item[ItemAttribute.outputPath]),
    outputCount: typeof count === 'number' ? count : undefined,
    chunkCount: typeof chunks === 'number' ? chunks : undefined,
    outputKeys: Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : undefined,
    outputManifest: optionalString(item[ItemAttribute.outputManifest]),
    reason: optionalString(item[ItemAttribute.failureReason]),
    finishedAt: optionalString(item[ItemAttribute.finishedAt]),
    workerInstanceId: optionalString(item[ItemAttribute.workerInstanceId]),
    usage: usageOf(item),
    interruptedAt: optionalString(item[ItemAttribute.interruptedAt]),
  };
}

export function byStatus(tableName: string, indexName: string, status: ItemStatus): QueryCommandInput {
  return {
    TableName: tableName,
    IndexName: indexName,
    KeyConditionExpression: '#status = :status',
    ExpressionAttributeNames: { '#status': ItemAttribute.status },
    ExpressionAttributeValues: { ':status': status },
  };
}

/** Every page of every segment of a parallel scan. */
async function scan(
  documents: DynamoDBDocumentClient,
  tableName: string,
  input: { ProjectionExpression?: string; FilterExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> },
): Promise<Row[]> {
  const segments = await Promise.all(
    Array.from({ length: SCAN_SEGMENTS }, async (_, segment) => {
      const rows: Row[] = [];
      for await (const page of paginateScan({ client: documents }, { TableName: tableName, Segment: segment, TotalSegments: SCAN_SEGMENTS, ...input })) {
        rows.push(...(page.Items ?? []));
      }
      return rows;
    }),
  );
  return segments.flat();
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
