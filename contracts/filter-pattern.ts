import { ItemStatus, ItemAttribute } from './item';

/**
 * EventBridge Pipes filter patterns for the table's stream (NEW_AND_OLD_IMAGES). The pipe forwards a
 * record when ANY pattern matches:
 *  1. the new image is PENDING and the old image had no status (an insert, or a row gaining a status);
 *  2. the new image is PENDING and the old image had another status (a FAILED row set back to PENDING).
 * An update that keeps status PENDING matches neither, so it is not enqueued twice. `eventName` is not
 * used because whether Pipes can filter on it is undocumented. `exists` only works on leaf values, so
 * the pattern tests `OldImage.status.S`, not `OldImage`.
 *
 * The pipe deploys these objects and the local run evaluates the same objects.
 */
export const PENDING_FILTER_PATTERNS = [
  {
    dynamodb: {
      NewImage: { [ItemAttribute.status]: { S: [ItemStatus.PENDING] } },
      OldImage: { [ItemAttribute.status]: { S: [{ exists: false }] } },
    },
  },
  {
    dynamodb: {
      NewImage: { [ItemAttribute.status]: { S: [ItemStatus.PENDING] } },
      OldImage: { [ItemAttribute.status]: { S: [{ 'anything-but': [ItemStatus.PENDING] }] } },
    },
  },
] as const;
