/**
 * What the soak reads back from the pipeline: the rows, the dead-letter queue (looked at, not emptied), the
 * outputs against their inputs, the worker instances still alive, and the copies in the workers' logs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ItemAttribute, WORKER_TAG } from '../../contracts';

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
 * line cut short by SIGKILL, are skipped). `copy_finished` marks a copy that completed, whatever happened to
 * its outcome write.
 */
export function eventsInLogs(logPaths: readonly string[], event: string): WorkerEvent[] {
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
