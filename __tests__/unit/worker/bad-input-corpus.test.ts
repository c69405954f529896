import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ItemStatus, OUTPUT_PREFIX, PENDING_FILTER_PATTERNS } from '../../../contracts';
import { matchesAnyPattern } from '../../../local/standins/filter-matcher';
import { handleMessage } from '../../../worker/job';
import { MAX_KEY_BYTES } from '../../../runtime/item-paths';
import { recordingLogger } from '../../support/worker-logger';
import { processorRegistry } from '../../support/processors';

/**
 * The bad-input corpus: each row (DynamoDB JSON, as a user might write it) or raw message body goes through
 * the pipe's filter and then the worker, and must end in one defined state with a clear reason:
 *  - `not forwarded`: the filter drops it (not PENDING work);
 *  - `FINISHED` / `FAILED: <reason>`: recorded on the row, message deleted;
 *  - `left for the DLQ`: the body cannot be read, so it stays in the queue until the redrive moves it.
 */
const BUCKET = 'pipeline-bucket';
const INPUT = `s3://${BUCKET}/data/input/`;
const s3Mock = mockClient(S3Client);
const documentMock = mockClient(DynamoDBDocumentClient);

type Row = Record<string, AttributeValue | Record<string, unknown>>;
const pending = (s3Path: AttributeValue | undefined, id: AttributeValue = { S: 'row-1' }): Row => ({
  id,
  status: { S: ItemStatus.PENDING },
  ...(s3Path === undefined ? {} : { s3_path: s3Path }),
});

interface Case {
  readonly case: string;
  /** A row the user writes; the stream record is built from it. */
  readonly row?: Row;
  /** A raw SQS body, for input the pipe itself would never produce. */
  readonly body?: string;
  readonly expected: string;
}

const CORPUS: Case[] = [
  // Malformed messages: only something other than the pipe could send these.
  { case: 'malformed JSON', body: '{"eventName": "INSERT", "dynamodb": ', expected: 'left for the DLQ: body is not JSON' },
  { case: 'an empty body', body: '', expected: 'left for the DLQ: body is empty' },
  {
    case: 'a record without Keys',
    body: '{"eventName":"INSERT","dynamodb":{"NewImage":{}}}',
    expected: 'left for the DLQ: dynamodb.Keys is missing or not an object',
  },
  {
    case: 'a numeric id in Keys',
    body: '{"eventName":"INSERT","dynamodb":{"Keys":{"id":{"N":"1"}}}}',
    expected: 'left for the DLQ: dynamodb.Keys.id must be a non-empty string, got number 1',
  },
  // Rows with missing keys and wrong types.
  { case: 'a row without status', row: { id: { S: 'row-1' }, s3_path: { S: `${INPUT}a.txt` } }, expected: 'not forwarded' },
  {
    case: 'a lower-case status',
    row: { id: { S: 'row-1' }, status: { S: 'pending' }, s3_path: { S: `${INPUT}a.txt` } },
    expected: 'not forwarded',
  },
  {
    case: 'a numeric status',
    row: { id: { S: 'row-1' }, status: { N: '1' }, s3_path: { S: `${INPUT}a.txt` } },
    expected: 'not forwarded',
  },
  { case: 'a row without s3_path', row: pending(undefined), expected: 'FAILED: s3_path is missing' },
  { case: 'a numeric s3_path', row: pending({ N: '42' }), expected: 'FAILED: s3_path must be a string, got number' },
  {
    case: 'a list as s3_path',
    row: pending({ L: [{ S: `${INPUT}a.txt` }] }),
    expected: 'FAILED: s3_path must be a string, got object',
  },
  // Keys S3 accepts, including awkward characters and the length limit.
  { case: 'spaces', row: pending({ S: `${INPUT}my folder/my file.txt` }), expected: 'FINISHED' },
  { case: 'plus signs', row: pending({ S: `${INPUT}a+b/c+d.txt` }), expected: 'FINISHED' },
  { case: 'percent signs', row: pending({ S: `${INPUT}100%/50%25.txt` }), expected: 'FINISHED' },
  { case: 'unicode', row: pending({ S: `${INPUT}résumé/日本語/🚀.txt` }), expected: 'FINISHED' },
  {
    case: 'an output key of exactly 1,024 bytes',
    row: pending({ S: `${INPUT}${'k'.repeat(MAX_KEY_BYTES - OUTPUT_PREFIX.length)}` }),
    expected: 'FINISHED',
  },
  {
    case: 'an input key of 1,024 bytes (its output would be 1,025)',
    row: pending({ S: `${INPUT}${'k'.repeat(MAX_KEY_BYTES - 'data/input/'.length)}` }),
    expected: 'FAILED: output key would be 1025 bytes, S3 allows 1024',
  },
  // Paths the worker must never follow.
  { case: 'a "." segment', row: pending({ S: `${INPUT}./a.txt` }), expected: 'FAILED: s3_path has a ‘.’ segment' },
  { case: 'a ".." segment', row: pending({ S: `${INPUT}../output/a.txt` }), expected: 'FAILED: s3_path has a ‘..’ segment' },
  { case: 'an empty rest', row: pending({ S: INPUT }), expected: 'FAILED: s3_path names no file under data/input/' },
  {
    case: 'another bucket',
    row: pending({ S: 's3://other-bucket/data/input/a.txt' }),
    expected: 'FAILED: s3_path must be in bucket',
  },
  {
    case: 'the output prefix',
    row: pending({ S: `s3://${BUCKET}/data/output/a.txt` }),
    expected: 'FAILED: s3_path must be under',
  },
  {
    case: 'a non-S3 URL',
    row: pending({ S: 'https://example.com/data/input/a.txt' }),
    expected: 'FAILED: s3_path must start with s3://',
  },
  { case: 'an empty string', row: pending({ S: '' }), expected: 'FAILED: s3_path must start with s3://' },
];

function insertRecord(row: Row): Record<string, unknown> {
  return {
    eventID: 'e-1',
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: { Keys: { id: row.id }, NewImage: row, SequenceNumber: '1', SizeBytes: 1, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/items/stream/2026-11-25T00:00:00.000',
  };
}

/** Runs one case through the filter and the worker (SDK calls mocked; the row is what the table holds). */
async function endState(input: Case): Promise<string> {
  let body = input.body;
  if (input.row !== undefined) {
    const record = insertRecord(input.row);
    if (!matchesAnyPattern(record, PENDING_FILTER_PATTERNS)) return 'not forwarded';
    body = JSON.stringify(record);
    documentMock.on(GetCommand).resolves({ Item: unmarshall(input.row as Record<string, AttributeValue>) });
  }
  const { logger, events } = recordingLogger();
  const disposition = await handleMessage(
    {
      processors: processorRegistry(new S3Client({ region: 'us-east-1' })),
      table: { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' },
      bucketName: BUCKET,
        maxReceiveCount: 5,
      instanceId: 'i-1',
      logger,
      metrics: { recordProcessed: () => undefined, recordFailure: () => undefined },
      now: () => new Date(),
    },
    { MessageId: 'm-1', ReceiptHandle: 'rh', Body: body },
  );
  if (disposition === 'keep')
    return `left for the DLQ: ${String(events.find((event) => event.event === 'message_unparseable')?.reason)}`;
  const update = documentMock.commandCalls(UpdateCommand)[0]?.args[0].input;
  const values = Object.values(update?.ExpressionAttributeValues ?? {});
  if (values.includes(ItemStatus.FINISHED)) return ItemStatus.FINISHED;
  const reason = events.find((event) => event.event === 'item_failed')?.reason;
  return values.includes(ItemStatus.FAILED) ? `FAILED: ${String(reason)}` : `no outcome recorded (${disposition})`;
}

beforeEach(() => {
  s3Mock.reset();
  documentMock.reset();
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 10, ETag: '"e"' });
  s3Mock.on(CopyObjectCommand).resolves({});
  documentMock.on(UpdateCommand).resolves({});
});

describe('bad-input corpus through the pipe filter and the worker', () => {
  it.each(CORPUS)('$case → $expected', async (input) => {
    const state = await endState(input);

    // The expected text is the start of the state: reasons go on to quote the value.
    expect(state.slice(0, input.expected.length)).toBe(input.expected);
  });
});
