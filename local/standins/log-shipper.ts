import type { Readable } from 'node:stream';
import {
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LocalLog } from '../log';
import { LineBuffer, lineToEvents, toLogBatches, type LogEvent } from './log-events';

export interface LogShipperOptions {
  readonly logs: CloudWatchLogsClient;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** @default 1000 — milliseconds between deliveries; Lambda's logs also arrive within seconds */
  readonly intervalMs?: number;
  readonly log: LocalLog;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface LogShipper {
  /** Ships every line `output` yields (stdout, stderr), a last unterminated one included. */
  attach(output: Readable): void;
  /** One line, timestamped now (a line the platform writes itself, such as a timeout). */
  add(line: string): void;
  /** Delivers what is queued; resolves when it is sent or reported lost. */
  flush(): Promise<void>;
  /** Waits for the attached outputs to end, delivers the rest and stops the timer. */
  close(): Promise<void>;
}

/**
 * What Lambda does with a function's output, for one execution environment: each line of stdout and
 * stderr becomes a log event in one stream of the function's log group, in the order written. Events
 * are delivered every `intervalMs` with PutLogEvents, one request at a time, in batches within the
 * service's limits. A delivery that fails (after the SDK's retries) is reported on the local log and its
 * events are dropped, as a real function's lines would be if CloudWatch Logs refused them.
 */
export function startLogShipper(options: LogShipperOptions): LogShipper {
  const now = options.now ?? Date.now;
  let queued: LogEvent[] = [];
  let lastTimestamp = 0;
  let streamCreated = false;
  let delivering: Promise<void> = Promise.resolve();
  const ended: Promise<void>[] = [];

  const add = (line: string) => {
    // Events must be in chronological order: a clock step backwards must not reorder lines.
    lastTimestamp = Math.max(lastTimestamp, now());
    queued.push(...lineToEvents(line, lastTimestamp));
  };

  const ensureStream = async () => {
    if (streamCreated) return;
    try {
      await options.logs.send(new CreateLogStreamCommand({ logGroupName: options.logGroupName, logStreamName: options.logStreamName }));
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
    }
    streamCreated = true;
  };

  const deliver = async (events: LogEvent[]) => {
    let sent = 0;
    try {
      await ensureStream();
      for (const batch of toLogBatches(events)) {
        const response = await options.logs.send(
          new PutLogEventsCommand({ logGroupName: options.logGroupName, logStreamName: options.logStreamName, logEvents: batch }),
        );
        sent += batch.length;
        if (response.rejectedLogEventsInfo && Object.keys(response.rejectedLogEventsInfo).length > 0) {
          options.log.warn('function_log_events_rejected', { logGroupName: options.logGroupName, logStreamName: options.logStreamName, ...response.rejectedLogEventsInfo });
        }
      }
    } catch (error) {
      options.log.warn('function_log_delivery_failed', {
        logGroupName: options.logGroupName,
        logStreamName: options.logStreamName,
        lostEvents: events.length - sent,
        error: (error as Error).message,
      });
    }
  };

  const flush = () => {
    const events = queued;
    queued = [];
    if (events.length > 0) delivering = delivering.then(() => deliver(events));
    return delivering;
  };

  const timer = setInterval(() => void flush(), options.intervalMs ?? 1000);
  timer.unref();

  return {
    attach(output) {
      const lines = new LineBuffer();
      output.setEncoding('utf8');
      output.on('data', (chunk: string) => lines.push(chunk).forEach(add));
      ended.push(new Promise((resolve) => output.once('close', () => resolve(lines.end().forEach(add)))));
    },
    add,
    flush,
    async close() {
      await Promise.all(ended);
      clearInterval(timer);
      await flush();
    },
  };
}
