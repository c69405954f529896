import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamSdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { matchesAnyPattern, type Pattern } from './filter-matcher';
import { toPipeMessage, toSendBatches } from './pipe-message';
import type { LocalLog } from '../log';

/** What the pipe deployed on the emulator says: its source stream, its target queue and its filter. */
export interface PipeDefinition {
  readonly streamArn: string;
  readonly queueUrl: string;
  readonly filterPatterns: readonly Pattern[];
  /** Stream records per SQS send; at most 10 for an SQS target. */
  readonly batchSize: number;
}

export interface PipeClients {
  readonly streams: DynamoDBStreamsClient;
  readonly sqs: SQSClient;
}

export interface RunningPipe {
  /** Records read from the stream and records forwarded to the queue so far. */
  readonly counts: { read: number; forwarded: number };
  stop(): Promise<void>;
}

/** @default 250 ms between stream polls: the local run should feel immediate. */
const DEFAULT_POLL_INTERVAL_MS = 250;
const SEND_ATTEMPTS = 3;

/**
 * The local stand-in for the EventBridge Pipe: reads every shard of the table's stream from
 * TRIM_HORIZON, keeps the records that match the deployed filter, and sends their pipe-shaped bodies
 * to the queue in batches. A failed poll is logged and retried on the next one.
 */
export function startPipe(
  definition: PipeDefinition,
  clients: PipeClients,
  log: LocalLog,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
): RunningPipe {
  const controller = new AbortController();
  const counts = { read: 0, forwarded: 0 };
  const iterators = new Map<string, string>();
  const seenShards = new Set<string>();

  const pollOnce = async (): Promise<void> => {
    for (const shardId of await listShards(clients.streams, definition.streamArn, controller.signal)) {
      if (seenShards.has(shardId)) continue;
      seenShards.add(shardId);
      const { ShardIterator } = await clients.streams.send(
        new GetShardIteratorCommand({ StreamArn: definition.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        { abortSignal: controller.signal },
      );
      if (ShardIterator) iterators.set(shardId, ShardIterator);
    }
    for (const [shardId, iterator] of [...iterators]) {
      const { Records = [], NextShardIterator } = await clients.streams.send(new GetRecordsCommand({ ShardIterator: iterator }), {
        abortSignal: controller.signal,
      });
      counts.read += Records.length;
      counts.forwarded += await forward(Records, definition, clients.sqs, controller.signal);
      if (NextShardIterator) iterators.set(shardId, NextShardIterator);
      else iterators.delete(shardId); // the shard is closed and fully read
    }
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        await pollOnce();
      } catch (error) {
        if (controller.signal.aborted) break;
        log.warn('pipe_poll_failed', { error: (error as Error).message });
      }
      await pause(pollIntervalMs, controller.signal);
    }
  })();

  return {
    counts,
    async stop() {
      controller.abort();
      await loop;
    },
  };
}

/** Sends the matching records; returns how many were sent. Throws when SQS keeps refusing entries. */
export async function forward(
  records: readonly StreamSdkRecord[],
  definition: PipeDefinition,
  sqs: SQSClient,
  abortSignal?: AbortSignal,
): Promise<number> {
  const messages = records
    .map((record) => toPipeMessage(record, definition.streamArn))
    .filter((message) => matchesAnyPattern(message, definition.filterPatterns));
  for (const batch of toSendBatches(messages, definition.batchSize)) {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: definition.queueUrl, Entries: pending }), {
        abortSignal,
      });
      const failedIds = new Set(Failed.map((failure) => failure.Id));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
      if (pending.length > 0 && attempt >= SEND_ATTEMPTS) {
        throw new Error(`SQS refused ${pending.length} pipe message(s) ${SEND_ATTEMPTS} times: ${JSON.stringify(Failed)}`);
      }
    }
  }
  return messages.length;
}

async function listShards(streams: DynamoDBStreamsClient, streamArn: string, abortSignal: AbortSignal): Promise<string[]> {
  const shardIds: string[] = [];
  let exclusiveStartShardId: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      { abortSignal },
    );
    for (const shard of StreamDescription?.Shards ?? []) if (shard.ShardId) shardIds.push(shard.ShardId);
    exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStartShardId);
  return shardIds;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
