import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { _Record as StreamSdkRecord, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import {
  CHUNK_COUNT_ATTRIBUTE,
  ITEM_EVENT_DETAIL_TYPE,
  ITEM_EVENT_FILTER_PATTERNS,
  ITEM_EVENT_INPUT_TEMPLATE,
  ITEM_EVENT_SCHEMA_VERSION,
  ITEM_EVENT_SOURCE,
  ItemAttribute,
  ItemStatus,
  itemEventPattern,
  PENDING_FILTER_PATTERNS,
} from '../../../contracts';
import { toEventEntry, type EventBusPipe } from '../../../local/standins/event-bus-target';
import { matchesAnyPattern, type Pattern } from '../../../local/standins/filter-matcher';
import { ABSENT_PATH_VALUE } from '../../../local/standins/input-template';
import { toPipeMessage } from '../../../local/standins/pipe-message';

// The item events against their documented schema: the field table in docs/events.md is read here, so the
// documentation and the template cannot drift apart.

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/rag-pipeline-dev-items/stream/2026-11-27T00:00:00.000';
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/rag-pipeline-dev-items';
const STATUSES = Object.values(ItemStatus);

interface DocumentedField {
  readonly name: string;
  readonly type: string;
  /** The statuses whose events carry a value in this field. */
  readonly setFor: readonly ItemStatus[];
  /** Set whenever the row has the attribute ("rows that carry one"), whatever the status. */
  readonly whenPresent: boolean;
}

/** The rows of the table under "## Schema" in docs/events.md: | `field` | type | set for | meaning |. */
function documentedFields(): DocumentedField[] {
  const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'events.md'), 'utf8');
  const section = doc.split(/^## /m).find((part) => part.startsWith('Schema'));
  if (!section) throw new Error('docs/events.md has no "## Schema" section');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [name, type, setFor] = line.split('|').slice(1, 4).map((cell) => cell.trim());
      const whenPresent = setFor.startsWith('rows that carry one');
      return {
        name: name.replace(/`/g, ''),
        type,
        setFor: setFor === 'every status' ? STATUSES : whenPresent ? [] : STATUSES.filter((status) => setFor.includes(status)),
        whenPresent,
      };
    });
}

const s = (value: string): AttributeValue => ({ S: value });
/** The row's attributes in DynamoDB JSON: output_count and chunk_count are numbers, as the worker writes them; the rest strings. */
const attribute = (name: string, value: string): AttributeValue =>
  name === ItemAttribute.outputCount || name === CHUNK_COUNT_ATTRIBUTE ? { N: value } : s(value);

function record(eventName: 'INSERT' | 'MODIFY', newImage: Record<string, string>, oldImage?: Record<string, string>): StreamSdkRecord {
  const image = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([name, value]) => [name, attribute(name, value)]));
  return {
    eventID: 'e1',
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: { [ItemAttribute.id]: s(newImage[ItemAttribute.id]) },
      NewImage: image(newImage),
      ...(oldImage ? { OldImage: image(oldImage) } : {}),
      SequenceNumber: '1',
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const pending = {
  [ItemAttribute.id]: 'row-1',
  [ItemAttribute.status]: ItemStatus.PENDING,
  [ItemAttribute.s3Path]: 's3://bucket/data/input/client_1/report.pdf',
  [ItemAttribute.requestToken]: 'token-1',
};
// What the worker writes (worker/table.ts).
const finished = {
  ...pending,
  [ItemAttribute.status]: ItemStatus.FINISHED,
  [ItemAttribute.outputPath]: 's3://bucket/data/output/client_1/report.pdf',
  [ItemAttribute.outputCount]: '1',
  [ItemAttribute.processedBy]: 'copy',
  [ItemAttribute.finishedAt]: '2026-11-27T12:00:01.234Z',
  [ItemAttribute.workerInstanceId]: 'i-0123456789abcdef0',
};
// A chunk processor's outcome: its JSONL is the output_path, and it records how many chunks.
const chunked = {
  ...finished,
  [ItemAttribute.outputPath]: 's3://bucket/data/output/client_1/report.pdf.chunks.jsonl',
  [ItemAttribute.outputCount]: '2',
  [ItemAttribute.processedBy]: 'rag',
  [CHUNK_COUNT_ATTRIBUTE]: '37',
};
const failed = {
  ...pending,
  [ItemAttribute.status]: ItemStatus.FAILED,
  [ItemAttribute.failureReason]: 'input not found: s3://bucket/data/input/client_1/report.pdf',
  [ItemAttribute.processedBy]: 'copy',
  [ItemAttribute.finishedAt]: '2026-11-27T12:00:01.234Z',
  [ItemAttribute.workerInstanceId]: 'i-0123456789abcdef0',
};

function without(row: Record<string, string>, attribute: string): Record<string, string> {
  return Object.fromEntries(Object.entries(row).filter(([name]) => name !== attribute));
}

const pipe: EventBusPipe = {
  name: 'items-to-events',
  eventBusName: 'default',
  filterPatterns: ITEM_EVENT_FILTER_PATTERNS as unknown as Pattern[],
  batchSize: 10,
  inputTemplate: ITEM_EVENT_INPUT_TEMPLATE,
  source: ITEM_EVENT_SOURCE,
  detailType: ITEM_EVENT_DETAIL_TYPE,
  resources: [TABLE_ARN],
};
const eventFor = (streamRecord: StreamSdkRecord) => toEventEntry(pipe, toPipeMessage(streamRecord, STREAM_ARN));
const matches = (streamRecord: StreamSdkRecord) => matchesAnyPattern(toPipeMessage(streamRecord, STREAM_ARN), pipe.filterPatterns);

/** What each documented field holds for a row, by the row's attributes. */
const VALUE_OF: Record<string, (row: Record<string, string>) => unknown> = {
  schema_version: () => ITEM_EVENT_SCHEMA_VERSION,
  id: (row) => row[ItemAttribute.id],
  status: (row) => row[ItemAttribute.status],
  s3_path: (row) => row[ItemAttribute.s3Path],
  output_path: (row) => row[ItemAttribute.outputPath],
  output_count: (row) => row[ItemAttribute.outputCount],
  processor: (row) => row[ItemAttribute.processedBy],
  chunk_count: (row) => row[CHUNK_COUNT_ATTRIBUTE],
  reason: (row) => row[ItemAttribute.failureReason],
  finished_at: (row) => row[ItemAttribute.finishedAt],
  worker_instance_id: (row) => row[ItemAttribute.workerInstanceId],
  request_token: (row) => row[ItemAttribute.requestToken],
};

describe('item events, against the schema in docs/events.md', () => {
  const fields = documentedFields();

  it('documents every field of the detail, and only those', () => {
    expect(fields.map(({ name }) => name).sort()).toEqual(Object.keys(VALUE_OF).sort());
    const detail = JSON.parse(eventFor(record('MODIFY', finished, pending)).Detail!);
    expect(Object.keys(detail).sort()).toEqual(fields.map(({ name }) => name).sort());
  });

  it.each([
    { case: 'FINISHED', row: finished },
    { case: 'FINISHED by a chunk processor', row: chunked },
    { case: 'FAILED', row: failed },
    { case: 'PENDING', row: pending },
  ])('gives a row that became $case one event with the documented fields set', ({ row }) => {
    const transition = row === pending ? record('INSERT', row) : record('MODIFY', row, pending);

    expect(matches(transition)).toBe(true);
    const entry = eventFor(transition);
    expect(entry).toMatchObject({ Source: ITEM_EVENT_SOURCE, DetailType: ITEM_EVENT_DETAIL_TYPE, Resources: [TABLE_ARN], EventBusName: 'default' });
    const detail = JSON.parse(entry.Detail!) as Record<string, unknown>;
    for (const field of fields) {
      const set = field.setFor.includes(row[ItemAttribute.status] as ItemStatus) || (field.whenPresent && VALUE_OF[field.name](row) !== undefined);
      const expected = set ? VALUE_OF[field.name](row) : ABSENT_PATH_VALUE;
      expect({ field: field.name, value: detail[field.name] }).toEqual({ field: field.name, value: expected });
      expect(typeof detail[field.name]).toBe(field.type);
    }
  });

  it('carries the request token only when the row has one', () => {
    const withoutToken = without(finished, ItemAttribute.requestToken);
    const pendingWithoutToken = without(pending, ItemAttribute.requestToken);

    expect(JSON.parse(eventFor(record('MODIFY', withoutToken, pendingWithoutToken)).Detail!).request_token).toBe(ABSENT_PATH_VALUE);
  });

  it('keeps the detail valid JSON when a value holds quotes, backslashes or newlines', () => {
    const reason = 'copy failed: "AccessDenied"\\n at line 1\nsecond line';

    expect(JSON.parse(eventFor(record('MODIFY', { ...failed, [ItemAttribute.failureReason]: reason }, pending)).Detail!).reason).toBe(reason);
  });
});

describe('the events filter', () => {
  const finishedWithoutOutput = without(finished, ItemAttribute.outputPath);
  const failedWithoutReason = without(failed, ItemAttribute.failureReason);

  it.each([
    { case: 'an insert as PENDING', streamRecord: record('INSERT', pending), expected: true },
    { case: 'FAILED set back to PENDING', streamRecord: record('MODIFY', pending, failed), expected: true },
    { case: 'PENDING → FINISHED', streamRecord: record('MODIFY', finished, pending), expected: true },
    { case: 'PENDING → FAILED', streamRecord: record('MODIFY', failed, pending), expected: true },
    { case: 'PENDING → PENDING (another attribute edited)', streamRecord: record('MODIFY', { ...pending, note: 'x' }, pending), expected: false },
    { case: 'FINISHED → FINISHED (an unrelated edit)', streamRecord: record('MODIFY', { ...finished, note: 'x' }, finished), expected: false },
    { case: 'FAILED → FAILED (an unrelated edit)', streamRecord: record('MODIFY', { ...failed, note: 'x' }, failed), expected: false },
    { case: 'a row written directly as FINISHED', streamRecord: record('INSERT', finished), expected: false },
    { case: 'FINISHED without an output_path', streamRecord: record('MODIFY', finishedWithoutOutput, pending), expected: false },
    { case: 'FAILED without a reason', streamRecord: record('MODIFY', failedWithoutReason, pending), expected: false },
    { case: 'a lowercase pending', streamRecord: record('INSERT', { ...pending, [ItemAttribute.status]: 'pending' }), expected: false },
  ])('publishes $case: $expected', ({ streamRecord, expected }) => {
    expect(matches(streamRecord)).toBe(expected);
  });

  it('publishes a PENDING event for exactly the records the work queue gets, within the 5 patterns a pipe allows', () => {
    expect(ITEM_EVENT_FILTER_PATTERNS.slice(0, PENDING_FILTER_PATTERNS.length)).toEqual(PENDING_FILTER_PATTERNS);
    expect(ITEM_EVENT_FILTER_PATTERNS.length).toBeLessThanOrEqual(5);
  });
});

describe('itemEventPattern', () => {
  it("matches this table's events with the given statuses", () => {
    expect(itemEventPattern(TABLE_ARN, [ItemStatus.FINISHED, ItemStatus.FAILED])).toEqual({
      source: [ITEM_EVENT_SOURCE],
      'detail-type': [ITEM_EVENT_DETAIL_TYPE],
      resources: [TABLE_ARN],
      detail: { status: ['FINISHED', 'FAILED'] },
    });
    expect(() => itemEventPattern(TABLE_ARN, [])).toThrow('at least one status');
  });
});
