import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamSdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StreamRecordMessage } from '../../contracts';
import { matchesAnyPattern, type Pattern } from './filter-matcher';
import { toPipeMessage, toSendBatches } from './pipe-message';
import type { LocalLog } from '../log';

/**
 * One pipe deployed on the table's stream, as the local run delivers it: its filter, its batch size and its
 * target. Several pipes share the one local stream reader.
 */
export interface PipeTarget {
  /** The deployed pipe's name, for counts and logs. */
  readonly name: string;
  readonly filterPatterns: readonly Pattern[];
  /** Records per delivery; at most 10 for an SQS or event bus target. */
  readonly batchSize: number;
  /** Delivers one batch of matching records. Throws when the target keeps refusing some. */
  send(batch: readonly StreamRecordMessage[], abortSignal?: AbortSignal): Promise<void>;
}

export interface RunningPipe {
  /** Records read from the stream, and records delivered per pipe, so far. */
  readonly counts: { read: number; forwarded: Record<string, number> };
  /**
   * Per shard, the sequence number of the last record read and handed to every pipe its filter matches: every
   * record of the shard up to it is delivered. (A shard is read in order, as AWS orders it.)
   */
  readonly deliveredThrough: ReadonlyMap<string, string>;
  /**
   * When the latest poll that found no record to read began (ms since the epoch): every record written before
   * then has been delivered. Undefined until such a poll.
   */
  upToDateAt(): number | undefined;
  stop(): Promise<void>;
}

/** @default 250 ms between stream polls: the local run should feel immediate. */
const DEFAULT_POLL_INTERVAL_MS = 250;
/** Attempts at a batch whose entries the target keeps refusing, like the pipes' bounded retries. */
export const SEND_ATTEMPTS = 3;

/**
 * The local stand-in for the EventBridge Pipes on the table's stream: reads every shard of the stream from
 * TRIM_HORIZON once, and hands each record to every pipe whose deployed filter it matches (the work queue's
 * pipe, the events pipe). A failed poll is logged and the same records are read again on the next one, so a
 * pipe may deliver a record twice, as AWS's at-least-once pipes may.
 */
export function startPipe(
  streamArn: string,
  targets: readonly PipeTarget[],
  streams: DynamoDBStreamsClient,
  log: LocalLog,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
): RunningPipe {
  const controller = new AbortController();
  const counts = { read: 0, forwarded: Object.fromEntries(targets.map((target) => [target.name, 0])) };
  const iterators = new Map<string, string>();
  const seenShards = new Set<string>();
  const deliveredThrough = new Map<string, string>();
  let upToDateAt: number | undefined;

  const pollOnce = async (): Promise<void> => {
    const started = Date.now();
    let read = 0;
    for (const shardId of await listShards(streams, streamArn, controller.signal)) {
      if (seenShards.has(shardId)) continue;
      seenShards.add(shardId);
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        { abortSignal: controller.signal },
      );
      if (ShardIterator) iterators.set(shardId, ShardIterator);
    }
    for (const [shardId, iterator] of [...iterators]) {
      const { Records = [], NextShardIterator } = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }), {
        abortSignal: controller.signal,
      });
      counts.read += Records.length;
      read += Records.length;
      const delivered = await forward(Records, streamArn, targets, controller.signal);
      for (const [name, count] of Object.entries(delivered)) counts.forwarded[name] += count;
      const last = Records.at(-1)?.dynamodb?.SequenceNumber;
      if (last !== undefined) deliveredThrough.set(shardId, last);
      if (NextShardIterator) iterators.set(shardId, NextShardIterator);
      else iterators.delete(shardId); // the shard is closed and fully read
    }
    if (read === 0) upToDateAt = started;
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
    deliveredThrough,
    upToDateAt: () => upToDateAt,
    async stop() {
      controller.abort();
      await loop;
    },
  };
}

/**
 * Delivers the records each pipe's filter matches, in batches of its size; returns how many each delivered.
 * Every pipe is tried even when another fails, as separate pipes are; then the first failure is thrown.
 */
export async function forward(
  records: readonly StreamSdkRecord[],
  streamArn: string,
  targets: readonly PipeTarget[],
  abortSignal?: AbortSignal,
): Promise<Record<string, number>> {
  const messages = records.map((record) => toPipeMessage(record, streamArn));
  const delivered: Record<string, number> = {};
  const failures: Error[] = [];
  for (const target of targets) {
    const matching = messages.filter((message) => matchesAnyPattern(message, target.filterPatterns));
    try {
      for (let start = 0; start < matching.length; start += target.batchSize) {
        await target.send(matching.slice(start, start + target.batchSize), abortSignal);
      }
      delivered[target.name] = matching.length;
    } catch (error) {
      failures.push(new Error(`pipe ${target.name}: ${(error as Error).message}`));
    }
  }
  if (failures.length > 0) throw failures[0];
  return delivered;
}

/** A pipe whose target is an SQS queue, without an input template: each body is the stream record itself. */
export function queueTarget(name: string, queueUrl: string, filterPatterns: readonly Pattern[], batchSize: number, sqs: SQSClient): PipeTarget {
  return {
    name,
    filterPatterns,
    batchSize,
    async send(batch, abortSignal) {
      for (const entries of toSendBatches(batch, batchSize)) {
        let pending = entries;
        for (let attempt = 1; pending.length > 0; attempt++) {
          const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }), { abortSignal });
          const failedIds = new Set(Failed.map((failure) => failure.Id));
          pending = pending.filter((entry) => failedIds.has(entry.Id));
          if (pending.length > 0 && attempt >= SEND_ATTEMPTS) {
            throw new Error(`SQS refused ${pending.length} pipe message(s) ${SEND_ATTEMPTS} times: ${JSON.stringify(Failed)}`);
          }
        }
      }
    },
  };
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
