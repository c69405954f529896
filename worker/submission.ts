import { ItemAttribute } from '../contracts';

/**
 * Which submission of a row the worker read: its `s3_path`, its `request_token` and its `processor`, as stored
 * (any may be missing or of any type). An outcome is recorded only while the row still holds all three, so a
 * row resubmitted while it was processed (another path or processor, or a fresh token) keeps its new submission.
 */
export interface Submission {
  readonly s3Path: unknown;
  readonly requestToken: unknown;
  readonly processor: unknown;
}

export function submissionOf(row: Readonly<Record<string, unknown>>): Submission {
  return {
    s3Path: row[ItemAttribute.s3Path],
    requestToken: row[ItemAttribute.requestToken],
    processor: row[ItemAttribute.processor],
  };
}

export interface PinnedCondition {
  readonly expression: string;
  readonly values: Record<string, unknown>;
}

/**
 * A condition that holds while the attribute still has `value`: absent stays absent, a string or number stays
 * equal. Other types (a list, a map, a set … only a malformed row holds them) are pinned by their DynamoDB type,
 * since equality is only defined here for scalars; such a row is FAILED whatever the exact value.
 */
export function pinCondition(name: string, valuePlaceholder: string, typePlaceholder: string, value: unknown): PinnedCondition {
  if (value === undefined) return { expression: `attribute_not_exists(${name})`, values: {} };
  if (typeof value === 'string' || typeof value === 'number') {
    return { expression: `${name} = ${valuePlaceholder}`, values: { [valuePlaceholder]: value } };
  }
  return { expression: `attribute_type(${name}, ${typePlaceholder})`, values: { [typePlaceholder]: dynamoTypeOf(value) } };
}

/** The DynamoDB type code of a value as the document client unmarshalls it. */
export function dynamoTypeOf(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return 'BOOL';
  if (typeof value === 'number' || typeof value === 'bigint') return 'N';
  if (typeof value === 'string') return 'S';
  if (value instanceof Uint8Array) return 'B';
  if (Array.isArray(value)) return 'L';
  if (value instanceof Set) {
    const first: unknown = value.values().next().value;
    if (typeof first === 'string') return 'SS';
    if (first instanceof Uint8Array) return 'BS';
    return 'NS';
  }
  // NumberValue (wrapped numbers) carries its digits in `value`.
  if (typeof value === 'object' && value.constructor?.name === 'NumberValue') return 'N';
  return 'M';
}
