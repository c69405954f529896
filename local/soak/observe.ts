/**
 * What the soak reads back from the pipeline: the rows, the dead-letter queue (looked at, not emptied), the
 * outputs against their inputs, the worker instances still alive, and the copies in the workers' logs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ItemAttribute, WORKER_TAG, type WorkerLogEventName } from '../../contracts';

export type Row = Record<string, AttributeValue>;

/** Every row of the table (a Scan, consistent), by id. `projection` limits the attributes read. */
export async function scanRows(dynamodb: DynamoDBClient, tableName: string, projection?: readonly string[]): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  let startKey: Row | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
        ...(projection
          ? {
              ProjectionExpression: projection.map((_, index) => `#a${index}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(projection.map((name, index) => [`#a${index}`, name])),
            }
          : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const id = item[ItemAttribute.id]?.S;
      if (id !== undefined) rows.set(id, item);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return rows;
}

/**
 * The row ids named by the messages in a dead-letter queue. Each message is received with a visibility
 * timeout long enough for the look, and never deleted: it is visible again afterwards, and the DLQ has no
 * redrive of its own, so the receive count it gains changes nothing. The look ends at two empty receives, or
 * when messages already seen come round again.
 */
export async function rowIdsInQueue(sqs: SQSClient, queueUrl: string, lookSeconds = 30): Promise<{ ids: Set<string>; messages: number }> {
  const ids = new Set<string>();
  const seen = new Set<string>();
  for (let emptyReceives = 0; emptyReceives < 2; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: lookSeconds, WaitTimeSeconds: 1 }),
    );
    const fresh = Messages.filter((message) => !seen.has(message.MessageId!));
    if (Messages.length > 0 && fresh.length === 0) break;
    emptyReceives = Messages.length === 0 ? emptyReceives + 1 : 0;
    for (const message of fresh) {
      seen.add(message.MessageId!);
      const id = rowIdOfBody(message.Body);
      if (id !== undefined) ids.add(id);
    }
  }
  return { ids, messages: seen.size };
}

/** The row id in a pipe message (a stream record's `dynamodb.Keys.id.S`); undefined when the body names none. */
export function rowIdOfBody(body: string | undefined): string | undefined {
  try {
    const id = JSON.parse(body ?? '')?.dynamodb?.Keys?.[ItemAttribute.id]?.S;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** SHA-256 of an object, or undefined when it does not exist. */
export async function objectHash(s3: S3Client, bucketName: string, key: string): Promise<string | undefined> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    return createHash('sha256').update(await Body!.transformToByteArray()).digest('hex');
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Instances with the worker tag that are pending or running: what the orchestrator counts as workers. */
export async function liveWorkerInstances(ec2: EC2Client): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${WORKER_TAG.key}`, Values: [WORKER_TAG.value] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
        NextToken: nextToken,
      }),
    );
    for (const reservation of page.Reservations ?? []) for (const instance of reservation.Instances ?? []) ids.push(instance.InstanceId!);
    nextToken = page.NextToken;
  } while (nextToken);
  return ids;
}

/** A worker log line about a row: its item id, and the source key when the line names one. */
export interface WorkerEvent {
  readonly itemId: string;
  readonly sourceKey?: string;
}

/**
 * The lines with this `event` in worker log files (JSON lines; other lines, such as a crash's stderr or a
 * line cut short by SIGKILL, are skipped). `processing_finished` marks a copy that completed, whatever happened to
 * its outcome write.
 */
export function eventsInLogs(logPaths: readonly string[], event: WorkerLogEventName): WorkerEvent[] {
  const found: WorkerEvent[] = [];
  for (const logPath of logPaths) {
    if (!existsSync(logPath)) continue;
    for (const line of readFileSync(logPath, 'utf8').split('\n')) {
      if (!line.includes(`"${event}"`)) continue;
      try {
        const entry = JSON.parse(line) as { event?: unknown; item_id?: unknown; source_key?: unknown };
        if (entry.event !== event || typeof entry.item_id !== 'string') continue;
        found.push(typeof entry.source_key === 'string' ? { itemId: entry.item_id, sourceKey: entry.source_key } : { itemId: entry.item_id });
      } catch {
        // A line cut short by SIGKILL.
      }
    }
  }
  return found;
}

/**
 * Everything the workers logged about some rows, for the rows the soak cannot explain: the lines naming the
 * row, and the lines naming a message that carried it (a release or a failed delete names only the message).
 * Each line is prefixed with the instance that wrote it.
 */
export function workerTrails(runs: readonly { instanceId: string; logPath: string }[], ids: ReadonlySet<string>): Map<string, string[]> {
  const trails = new Map<string, string[]>();
  if (ids.size === 0) return trails;
  const parsed = runs.flatMap(({ instanceId, logPath }) =>
    (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n') : []).flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { item_id?: unknown; message_id?: unknown };
        return [{ instanceId, line, itemId: entry.item_id, messageId: entry.message_id }];
      } catch {
        return [];
      }
    }),
  );
  const rowOfMessage = new Map<unknown, string>();
  for (const { itemId, messageId } of parsed) if (typeof itemId === 'string' && ids.has(itemId) && messageId) rowOfMessage.set(messageId, itemId);
  for (const { instanceId, line, itemId, messageId } of parsed) {
    const id = typeof itemId === 'string' && ids.has(itemId) ? itemId : rowOfMessage.get(messageId);
    if (id !== undefined) trails.set(id, [...(trails.get(id) ?? []), `${instanceId} ${line}`]);
  }
  return trails;
}

/** One stream record of a row: what the table says a write changed, in DynamoDB JSON. */
export interface StreamChange {
  readonly sequenceNumber: string;
  readonly eventName: string;
  readonly oldImage?: Row;
  readonly newImage?: Row;
}

/** The stream records of some rows (what the pipe read), oldest first. */
export async function streamHistories(streams: DynamoDBStreamsClient, streamArn: string, ids: ReadonlySet<string>): Promise<Map<string, StreamChange[]>> {
  const histories = new Map<string, StreamChange[]>();
  if (ids.size === 0) return histories;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator) {
      const { Records = [], NextShardIterator } = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const record of Records) {
        const id = record.dynamodb?.Keys?.[ItemAttribute.id]?.S;
        if (id === undefined || !ids.has(id)) continue;
        const change: StreamChange = {
          sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
          eventName: record.eventName ?? '',
          ...(record.dynamodb?.OldImage ? { oldImage: record.dynamodb.OldImage as Row } : {}),
          ...(record.dynamodb?.NewImage ? { newImage: record.dynamodb.NewImage as Row } : {}),
        };
        histories.set(id, [...(histories.get(id) ?? []), change]);
      }
      // An open shard keeps answering with an iterator: stop at its end.
      iterator = Records.length > 0 ? NextShardIterator : undefined;
    }
  }
  for (const changes of histories.values()) changes.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
  return histories;
}

/** Sequence numbers are decimal strings of up to 40 digits: longer is later, then by digits. */
function compareSequenceNumbers(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
