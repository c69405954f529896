import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamSdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { PENDING_FILTER_PATTERNS } from '../../../contracts';
import type { Pattern } from '../../../local/standins/filter-matcher';
import { forward, queueTarget, startPipe, type PipeTarget } from '../../../local/standins/pipe';
import { eventually } from '../../support/eventually';
import { memoryLog } from '../../support/memory-log';
import { toPipeMessage, toSendBatches } from '../../../local/standins/pipe-message';

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/2026-11-25T15:00:00.000';

function sdkRecord(id: string, status: string, overrides: Partial<StreamSdkRecord> = {}): StreamSdkRecord {
  return {
    eventID: `event-${id}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: new Date('2026-11-25T15:30:00.750Z'),
      Keys: { id: { S: id } },
      NewImage: { id: { S: id }, status: { S: status }, s3_path: { S: `s3://b/data/input/${id}.txt` }, size: { N: '12' } },
      SequenceNumber: '100',
      SizeBytes: 64,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...overrides,
  };
}

describe('toPipeMessage', () => {
  it('gives the body a pipe delivers: the record in DynamoDB JSON, epoch seconds, the stream ARN', () => {
    const message = toPipeMessage(sdkRecord('a', 'PENDING'), STREAM_ARN);

    expect(message).toEqual({
      eventID: 'event-a',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: 1795620600,
        Keys: { id: { S: 'a' } },
        NewImage: { id: { S: 'a' }, status: { S: 'PENDING' }, s3_path: { S: 's3://b/data/input/a.txt' }, size: { N: '12' } },
        SequenceNumber: '100',
        SizeBytes: 64,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: STREAM_ARN,
    });
  });

  it('keeps the old image of a MODIFY and writes binary values as base64', () => {
    const record = sdkRecord('a', 'PENDING', { eventName: 'MODIFY' });
    const message = toPipeMessage(
      { ...record, dynamodb: { ...record.dynamodb, OldImage: { id: { S: 'a' }, status: { S: 'FAILED' }, blob: { B: Buffer.from('hi') } } } },
      STREAM_ARN,
    );

    expect(message.dynamodb.OldImage).toEqual({ id: { S: 'a' }, status: { S: 'FAILED' }, blob: { B: 'aGk=' } });
  });

  it('refuses a record without keys, naming its event ID', () => {
    const record = sdkRecord('a', 'PENDING');

    expect(() => toPipeMessage({ ...record, dynamodb: { ...record.dynamodb, Keys: undefined } }, STREAM_ARN)).toThrow('event-a');
  });
});

describe('toSendBatches', () => {
  it('splits 23 messages into batches of 10, 10 and 3 with ids unique per batch', () => {
    const messages = Array.from({ length: 23 }, (_, index) => toPipeMessage(sdkRecord(`r${index}`, 'PENDING'), STREAM_ARN));

    const batches = toSendBatches(messages);

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    for (const batch of batches) expect(new Set(batch.map((entry) => entry.Id)).size).toBe(batch.length);
    expect(JSON.parse(batches[2][2].MessageBody)).toEqual(messages[22]);
  });
});

describe('forward to a queue', () => {
  const sqs = mockClient(SQSClient);
  const QUEUE_URL = 'http://127.0.0.1:5000/123456789012/work';
  const target = () => queueTarget('to-queue', QUEUE_URL, PENDING_FILTER_PATTERNS as unknown as Pattern[], 10, sqs as unknown as SQSClient);
  beforeEach(() => sqs.reset());

  it('sends only the records the filter matches, as SendMessageBatch of pipe bodies', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const records = [sdkRecord('a', 'PENDING'), sdkRecord('b', 'pending'), sdkRecord('c', 'PENDING')];

    const sent = await forward(records, STREAM_ARN, [target()]);

    expect(sent).toEqual({ 'to-queue': 2 });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: 'r0', MessageBody: JSON.stringify(toPipeMessage(records[0], STREAM_ARN)) },
        { Id: 'r1', MessageBody: JSON.stringify(toPipeMessage(records[2], STREAM_ARN)) },
      ],
    });
  });

  it('resends the entries SQS failed, and only those', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'r1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });

    await forward([sdkRecord('a', 'PENDING'), sdkRecord('b', 'PENDING')], STREAM_ARN, [target()]);

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.Entries?.map((entry) => entry.Id)).toEqual(['r1']);
  });

  it('throws when SQS keeps refusing an entry', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: 'r0', Code: 'InternalError', SenderFault: false }] });

    await expect(forward([sdkRecord('a', 'PENDING')], STREAM_ARN, [target()])).rejects.toThrow('refused 1');
  });
});

describe('forward to several pipes', () => {
  const recorder = (name: string, status: string, fail = false) => {
    const batches: string[][] = [];
    const pipe: PipeTarget = {
      name,
      filterPatterns: [{ dynamodb: { NewImage: { status: { S: [status] } } } }],
      batchSize: 2,
      async send(batch) {
        if (fail) throw new Error('target down');
        batches.push(batch.map((message) => message.eventID));
      },
    };
    return { pipe, batches };
  };

  it('reads each record once and hands every pipe the records its own filter matches, in its own batches', async () => {
    const pending = recorder('pending', 'PENDING');
    const finished = recorder('finished', 'FINISHED');
    const records = [sdkRecord('a', 'PENDING'), sdkRecord('b', 'FINISHED'), sdkRecord('c', 'PENDING'), sdkRecord('d', 'PENDING')];

    expect(await forward(records, STREAM_ARN, [pending.pipe, finished.pipe])).toEqual({ pending: 3, finished: 1 });
    expect(pending.batches).toEqual([['event-a', 'event-c'], ['event-d']]);
    expect(finished.batches).toEqual([['event-b']]);
  });

  it('still delivers to the other pipes when one fails, then reports the failure', async () => {
    const down = recorder('down', 'PENDING', true);
    const up = recorder('up', 'PENDING');

    await expect(forward([sdkRecord('a', 'PENDING')], STREAM_ARN, [down.pipe, up.pipe])).rejects.toThrow('pipe down: target down');
    expect(up.batches).toEqual([['event-a']]);
  });
});

describe('startPipe', () => {
  const streams = mockClient(DynamoDBStreamsClient);
  const ITERATORS = ['it-0', 'it-1', 'it-2'];
  beforeEach(() => {
    streams.reset();
    streams.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: ITERATORS[0] });
    // Two records on the first read, none after: the stream is then read to its end.
    const numbered = (id: string, sequenceNumber: string) => sdkRecord(id, 'PENDING', { dynamodb: { ...sdkRecord(id, 'PENDING').dynamodb, SequenceNumber: sequenceNumber } });
    streams.on(GetRecordsCommand, { ShardIterator: ITERATORS[0] }).resolves({ Records: [numbered('a', '101'), numbered('b', '102')], NextShardIterator: ITERATORS[1] });
    streams.on(GetRecordsCommand, { ShardIterator: ITERATORS[1] }).resolves({ Records: [], NextShardIterator: ITERATORS[2] });
    streams.on(GetRecordsCommand, { ShardIterator: ITERATORS[2] }).resolves({ Records: [], NextShardIterator: ITERATORS[2] });
  });

  it('says how far it has delivered each shard, and from when a poll found nothing left to read', async () => {
    const delivered: string[] = [];
    let deliveredAt = Infinity;
    const target: PipeTarget = {
      name: 'probe',
      filterPatterns: [{}],
      batchSize: 10,
      send: async (batch) => {
        delivered.push(...batch.map((message) => message.eventID));
        deliveredAt = Date.now();
      },
    };
    const pipe = startPipe(STREAM_ARN, [target], streams as unknown as DynamoDBStreamsClient, memoryLog(), 5);
    try {
      expect(pipe.upToDateAt()).toBeUndefined();

      const upToDate = await eventually(() => pipe.upToDateAt(), 10_000, 'a poll that finds nothing', 5);

      expect(delivered).toEqual(['event-a', 'event-b']);
      expect(pipe.deliveredThrough).toEqual(new Map([['shard-1', '102']]));
      // Only a poll after the one that delivered the records finds nothing, so it began after the delivery.
      expect(upToDate).toBeGreaterThanOrEqual(deliveredAt);
    } finally {
      await pipe.stop();
    }
  });
});
