import { marshall } from '@aws-sdk/util-dynamodb';
import { ItemAttribute } from '../../contracts';

/** The pipe-shaped SQS body for one stream record of a row (see contracts/message.ts). */
export function streamRecordBody(
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
