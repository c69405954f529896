import { MessageParseError, parseMessage } from '../../../worker/message';

/** A stream record as the pipe delivers it for a PutItem (shape: shared facts, contracts/message.ts). */
const INSERT_BODY = JSON.stringify({
  eventID: '7de3041dd709b024af6f29e4fa13d34c',
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: {
    ApproximateCreationDateTime: 1764081600,
    Keys: { id: { S: 'test1' } },
    NewImage: {
      id: { S: 'test1' },
      status: { S: 'PENDING' },
      s3_path: { S: 's3://your-bucket/data/input/client_1/test_file_1.txt' },
    },
    SequenceNumber: '111',
    SizeBytes: 26,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/items/stream/2026-11-25T00:00:00.000',
});

/** A FAILED row set back to PENDING: MODIFY with both images. */
const MODIFY_BODY = JSON.stringify({
  eventID: 'c81e728d9d4c2f636f067f89cc14862c',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: {
    ApproximateCreationDateTime: 1764081660,
    Keys: { id: { S: 'retry 1 ✓' } },
    NewImage: { id: { S: 'retry 1 ✓' }, status: { S: 'PENDING' }, s3_path: { S: 's3://b/data/input/a.txt' } },
    OldImage: {
      id: { S: 'retry 1 ✓' },
      status: { S: 'FAILED' },
      s3_path: { S: 's3://b/data/input/a.txt' },
      failure_reason: { S: 'source object does not exist' },
    },
    SequenceNumber: '222',
    SizeBytes: 80,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/items/stream/2026-11-25T00:00:00.000',
});

function withChange(change: unknown): string {
  return JSON.stringify({ ...JSON.parse(INSERT_BODY), dynamodb: change });
}

describe('parseMessage', () => {
  it('reads the row id and event of an INSERT record', () => {
    expect(parseMessage(INSERT_BODY)).toEqual({
      itemId: 'test1',
      eventName: 'INSERT',
      eventId: '7de3041dd709b024af6f29e4fa13d34c',
    });
  });

  it('reads the row id of a MODIFY record from Keys, whatever the images say', () => {
    expect(parseMessage(MODIFY_BODY)).toEqual({
      itemId: 'retry 1 ✓',
      eventName: 'MODIFY',
      eventId: 'c81e728d9d4c2f636f067f89cc14862c',
    });
  });

  it('needs only the keys (a KEYS_ONLY record)', () => {
    const body = withChange({ Keys: { id: { S: 'k' } }, SequenceNumber: '1', SizeBytes: 1, StreamViewType: 'KEYS_ONLY' });

    expect(parseMessage(body).itemId).toBe('k');
  });

  it.each([
    { case: 'no body', body: undefined, reason: 'body is empty' },
    { case: 'an empty body', body: '', reason: 'body is empty' },
    { case: 'malformed JSON', body: '{"eventName": "INSERT"', reason: 'body is not JSON' },
    { case: 'a JSON array', body: '[1, 2]', reason: 'body is not a JSON object' },
    { case: 'a JSON string', body: '"INSERT"', reason: 'body is not a JSON object' },
    { case: 'null', body: 'null', reason: 'body is not a JSON object' },
    { case: 'no eventName', body: '{"dynamodb": {}}', reason: 'eventName must be INSERT, MODIFY or REMOVE, got nothing' },
    { case: 'an unknown eventName', body: '{"eventName": "UPSERT"}', reason: 'got "UPSERT"' },
    { case: 'an S3 notification', body: '{"Records": [{"eventName": "ObjectCreated:Put"}]}', reason: 'eventName must be' },
    { case: 'no dynamodb section', body: '{"eventName": "INSERT"}', reason: 'dynamodb is missing or not an object' },
    { case: 'no Keys', body: withChange({ NewImage: { id: { S: 'a' } } }), reason: 'dynamodb.Keys is missing' },
    { case: 'Keys as a string', body: withChange({ Keys: 'id=a' }), reason: 'dynamodb.Keys is missing or not an object' },
    {
      case: 'Keys without an id',
      body: withChange({ Keys: { pk: { S: 'a' } } }),
      reason: 'dynamodb.Keys.id must be a non-empty string, got nothing',
    },
    { case: 'a numeric id', body: withChange({ Keys: { id: { N: '42' } } }), reason: 'got number 42' },
    { case: 'an empty id', body: withChange({ Keys: { id: { S: '' } } }), reason: 'got string ""' },
    {
      case: 'plain JSON instead of DynamoDB JSON',
      body: withChange({ Keys: { id: 'a' } }),
      reason: 'dynamodb.Keys is not DynamoDB JSON',
    },
    {
      case: 'an unknown type descriptor',
      body: withChange({ Keys: { id: { Q: 'a' } } }),
      reason: 'dynamodb.Keys is not DynamoDB JSON',
    },
  ])('refuses $case with a MessageParseError saying why', ({ body, reason }) => {
    const parse = () => parseMessage(body);

    expect(parse).toThrow(MessageParseError);
    expect(parse).toThrow(reason);
  });
});
