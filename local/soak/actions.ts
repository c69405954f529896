/**
 * What the soak does to the pipeline, as a producer (and SQS's at-least-once delivery) would: upload inputs,
 * write rows, resubmit and fix them, deliver a row's message twice. Each takes its clients as an argument.
 */
import { BatchWriteItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { INPUT_PREFIX, ItemAttribute, ItemStatus, type ImageJson, type StreamRecordMessage } from '../../contracts';

export interface SoakTarget {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly bucketName: string;
  readonly queueUrl: string;
  /** The table's stream, named in the pipe's messages. */
  readonly streamArn: string;
  readonly region: string;
}

export type Item = Record<string, AttributeValue>;

/** A PENDING row as a producer writes it: id, status, and the s3_path and request_token when it has them. */
export function pendingItem(id: string, s3Path: AttributeValue | undefined, requestToken: string | undefined): Item {
  return {
    [ItemAttribute.id]: { S: id },
    [ItemAttribute.status]: { S: ItemStatus.PENDING },
    ...(s3Path ? { [ItemAttribute.s3Path]: s3Path } : {}),
    ...(requestToken ? { [ItemAttribute.requestToken]: { S: requestToken } } : {}),
  };
}

export function inputPath(bucketName: string, rest: string): string {
  return `s3://${bucketName}/${INPUT_PREFIX}${rest}`;
}

export async function uploadInput(target: SoakTarget, rest: string, body: Buffer): Promise<void> {
  await target.s3.send(new PutObjectCommand({ Bucket: target.bucketName, Key: `${INPUT_PREFIX}${rest}`, Body: body }));
}

/** Writes rows with BatchWriteItem, 25 a request, retrying what DynamoDB leaves unprocessed. */
export async function writeRows(target: SoakTarget, items: readonly Item[]): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await target.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [target.tableName]: requests } }));
      requests = (UnprocessedItems?.[target.tableName] ?? []) as typeof requests;
    }
  }
}

/**
 * Writes the row again as a new submission (the whole item, as a producer's PutItem does) and returns the
 * status it replaced: PENDING → PENDING is a resubmission the pipe does not enqueue again, anything else
 * → PENDING is enqueued.
 */
export async function resubmitRow(target: SoakTarget, item: Item): Promise<string | undefined> {
  const { Attributes } = await target.dynamodb.send(new PutItemCommand({ TableName: target.tableName, Item: item, ReturnValues: 'ALL_OLD' }));
  return Attributes?.[ItemAttribute.status]?.S;
}

/**
 * Sends the row's pipe message once more, as SQS's at-least-once delivery may: the body the pipe delivers
 * for the row's INSERT (docs/local-run.md, the pipe stand-in).
 */
export async function deliverAgain(target: SoakTarget, item: Item, sequenceNumber: number): Promise<void> {
  // The soak's items hold strings, numbers and lists only: their SDK shape is already DynamoDB JSON.
  const image = JSON.parse(JSON.stringify(item)) as ImageJson;
  const message: StreamRecordMessage = {
    eventID: `soak-duplicate-${sequenceNumber}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: target.region,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: { [ItemAttribute.id]: image[ItemAttribute.id] },
      NewImage: image,
      SequenceNumber: String(sequenceNumber),
      SizeBytes: JSON.stringify(item).length,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: target.streamArn,
  };
  await target.sqs.send(new SendMessageCommand({ QueueUrl: target.queueUrl, MessageBody: JSON.stringify(message) }));
}
