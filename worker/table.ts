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

/** Where and how long a row was processed (contracts/item.ts); each field absent when unknown. */
export interface WorkerUsage {
  readonly instanceType?: string;
  /** `spot` or `on-demand`. */
  readonly purchaseOption?: string;
  /** The processor's run; absent when no processor ran (a row refused before it). */
  readonly processingSeconds?: number;
  /** The row's share of its worker's time while it ran (worker/occupancy.ts). */
  readonly instanceSeconds?: number;
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
  /** @default {} — nothing recorded of the instance or the run time */
  readonly usage?: WorkerUsage;
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
  const usage = usageUpdate(record.usage);
  await updateIfStillSubmitted(
    table,
    record,
    {
      UpdateExpression:
        'SET #status = :finished, #finishedAt = :finishedAt, #outputPath = :outputPath, #outputCount = :outputCount, ' +
        `#processedBy = :processedBy, #instance = :instance, ${[...listing.set, ...extra.map((_, index) => `#extra${index} = :extra${index}`), ...usage.set].join(', ')} ` +
        `REMOVE #reason, ${[...listing.remove, ...usage.remove].join(', ')}`,
      ExpressionAttributeNames: {
        ...usage.names,
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
        ...usage.values,
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
  /** @default {} — nothing recorded of the instance or the run time */
  readonly usage?: WorkerUsage;
}

/**
 * PENDING → FAILED with a short reason, written without `"`, `\` or control characters: the reason becomes the
 * item event's `detail.reason`, and AWS may not escape it in the input template (contracts/events.ts).
 */
export async function recordFailed(table: TableTarget, record: FailedRecord, abortSignal?: AbortSignal): Promise<void> {
  const usage = usageUpdate(record.usage);
  await updateIfStillSubmitted(
    table,
    record,
    {
      UpdateExpression:
        `SET ${['#status = :failed', '#finishedAt = :finishedAt', '#reason = :reason', '#processedBy = :processedBy', '#instance = :instance', ...usage.set].join(', ')}` +
        (usage.remove.length > 0 ? ` REMOVE ${usage.remove.join(', ')}` : ''),
      ExpressionAttributeNames: {
        ...usage.names,
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
        ...usage.values,
      },
    },
    abortSignal,
  );
}

/**
 * The usage part of an outcome write: each known field set; the run times removed when this outcome has none,
 * so a resubmitted row never keeps the times of an earlier run.
 */
function usageUpdate(usage: WorkerUsage = {}): { set: string[]; remove: string[]; names: Record<string, string>; values: Record<string, unknown> } {
  const fields = [
    ['#usageType', ':usageType', ItemAttribute.instanceType, usage.instanceType],
    ['#usagePurchase', ':usagePurchase', ItemAttribute.purchaseOption, usage.purchaseOption],
    ['#usageProcessing', ':usageProcessing', ItemAttribute.processingSeconds, usage.processingSeconds],
    ['#usageInstance', ':usageInstance', ItemAttribute.instanceSeconds, usage.instanceSeconds],
  ] as const;
  const set: string[] = [];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [name, placeholder, attribute, value] of fields) {
    names[name] = attribute;
    if (value === undefined) {
      remove.push(name);
    } else {
      set.push(`${name} = ${placeholder}`);
      values[placeholder] = value;
    }
  }
  return { set, remove, names, values };
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

/**
 * Counts one interruption on a row that is still PENDING (ADD `interruptions` 1, SET `interrupted_at`): what
 * `npx pipeline status` shows of the rows' retries. A row that is no longer PENDING, or gone, is left alone.
 */
export async function recordInterrupted(table: TableTarget, itemId: string, interruptedAt: string): Promise<void> {
  try {
    await table.documentClient.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { [ItemAttribute.id]: itemId },
        UpdateExpression: 'ADD #interruptions :one SET #interruptedAt = :at',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#interruptions': ItemAttribute.interruptions, '#interruptedAt': ItemAttribute.interruptedAt, '#status': ItemAttribute.status },
        ExpressionAttributeValues: { ':one': 1, ':at': interruptedAt, ':pending': ItemStatus.PENDING },
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return;
    throw error;
  }
}
