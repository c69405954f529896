import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ItemAttribute, type StreamRecordMessage } from '../contracts';

/** What the worker needs from one pipe message: which row to process. DynamoDB holds the rest. */
export interface Job {
  readonly itemId: string;
  readonly eventName: StreamRecordMessage['eventName'];
  readonly eventId: string | undefined;
}

/** The body is not a stream record the worker understands; the reason says what is wrong. */
export class MessageParseError extends Error {
  override readonly name = 'MessageParseError';
}

const EVENT_NAMES: ReadonlySet<string> = new Set<StreamRecordMessage['eventName']>(['INSERT', 'MODIFY', 'REMOVE']);

/**
 * Reads the body an EventBridge Pipe delivers for one DynamoDB stream record and returns the row's id,
 * taken from `dynamodb.Keys` (present for every event type and view type).
 */
export function parseMessage(body: string | undefined): Job {
  if (body === undefined || body === '') throw new MessageParseError('body is empty');
  let record: unknown;
  try {
    record = JSON.parse(body);
  } catch (error) {
    throw new MessageParseError(`body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(record)) throw new MessageParseError('body is not a JSON object');
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !EVENT_NAMES.has(eventName)) {
    throw new MessageParseError(`eventName must be INSERT, MODIFY or REMOVE, got ${JSON.stringify(eventName) ?? 'nothing'}`);
  }
  const change = record.dynamodb;
  if (!isObject(change)) throw new MessageParseError('dynamodb is missing or not an object');
  if (!isObject(change.Keys)) throw new MessageParseError('dynamodb.Keys is missing or not an object');
  let keys: Record<string, unknown>;
  try {
    keys = unmarshall(change.Keys as Record<string, AttributeValue>);
  } catch (error) {
    throw new MessageParseError(`dynamodb.Keys is not DynamoDB JSON: ${(error as Error).message}`);
  }
  const itemId = keys[ItemAttribute.id];
  if (typeof itemId !== 'string' || itemId === '') {
    throw new MessageParseError(`dynamodb.Keys.${ItemAttribute.id} must be a non-empty string, got ${describe(itemId)}`);
  }
  return {
    itemId,
    eventName: eventName as Job['eventName'],
    eventId: typeof record.eventID === 'string' ? record.eventID : undefined,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return `the number ${value}`;
  if (value instanceof Set) return 'a set';
  if (value instanceof Uint8Array) return 'binary';
  return `${typeof value} ${JSON.stringify(value)}`;
}
