import type { AttributeValue, _Record as StreamSdkRecord } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ItemAttribute, type AttributeValueJson, type ImageJson, type StreamRecordMessage } from '../../contracts';

/**
 * Pure mapping from a DynamoDB Streams record, as the SDK returns it, to the SQS body an EventBridge
 * Pipe delivers for it without an input template: the record itself in DynamoDB JSON, with
 * ApproximateCreationDateTime in epoch seconds and eventSourceARN set to the stream ARN.
 */
export function toPipeMessage(record: StreamSdkRecord, streamArn: string): StreamRecordMessage {
  const stream = record.dynamodb;
  if (!record.eventID || !record.eventName || !stream?.Keys || !stream.SequenceNumber || !stream.StreamViewType) {
    throw new Error(`stream record ${record.eventID ?? '(no eventID)'} lacks eventName, Keys, SequenceNumber or StreamViewType`);
  }
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? '',
    dynamodb: {
      ...(stream.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(stream.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      Keys: toImageJson(stream.Keys),
      ...(stream.NewImage ? { NewImage: toImageJson(stream.NewImage) } : {}),
      ...(stream.OldImage ? { OldImage: toImageJson(stream.OldImage) } : {}),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes ?? 0,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
}

/** Splits messages into SendMessageBatch entries of at most 10, with ids unique within a batch. */
export function toSendBatches(messages: readonly StreamRecordMessage[], batchSize = 10): { Id: string; MessageBody: string }[][] {
  const batches: { Id: string; MessageBody: string }[][] = [];
  for (let start = 0; start < messages.length; start += batchSize) {
    batches.push(
      messages.slice(start, start + batchSize).map((message, index) => ({ Id: `r${index}`, MessageBody: JSON.stringify(message) })),
    );
  }
  return batches;
}

function toImageJson(image: Record<string, AttributeValue>): ImageJson {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toAttributeJson(value)]));
}

/** DynamoDB JSON as the wire carries it: binary values as base64 strings, everything else unchanged. */
function toAttributeJson(value: AttributeValue): AttributeValueJson {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((item) => Buffer.from(item).toString('base64')) };
  if (value.M !== undefined) return { M: toImageJson(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toAttributeJson) };
  if (value.$unknown !== undefined) throw new Error(`unknown DynamoDB attribute type "${value.$unknown[0]}" in a stream record`);
  return { ...value };
}

/**
 * The SQS body the pipe sends for a write of `newImage` (and `oldImage` before it), without a table behind it:
 * for suites and benches that fill the work queue themselves. The event ID is derived from the row's id and
 * the event name, the sequence number and times are fixed.
 */
export function rowPipeMessage(
  newImage: Record<string, unknown>,
  eventName: 'INSERT' | 'MODIFY' = 'INSERT',
  oldImage?: Record<string, unknown>,
): string {
  const id = newImage[ItemAttribute.id];
  return JSON.stringify({
    eventID: `event-${String(id)}-${eventName}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1764000000,
      Keys: marshall({ [ItemAttribute.id]: id }),
      NewImage: marshall(newImage),
      ...(oldImage === undefined ? {} : { OldImage: marshall(oldImage) }),
      SequenceNumber: '4421584500000000017450439091',
      SizeBytes: 120,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/2026-11-25T00:00:00.000`,
  });
}
