/**
 * Follows the worker processes' log files as they grow, so the soak can act the moment a worker takes a
 * row (a resubmission that lands while the job runs). Polls the files' sizes; reads only what was appended.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { RunningInstanceRunner, WorkerRun } from '../standins/instance-runner';

/** The fields of a worker log line the soak acts on. */
export interface WorkerLogEntry {
  readonly event: string;
  readonly item_id?: string;
}

export interface LogTail {
  stop(): void;
}

/** @default 100 ms between looks: a worker's job on the emulator takes tens of milliseconds. */
const TAIL_INTERVAL_MS = 100;

export function tailWorkerLogs(
  instances: Pick<RunningInstanceRunner, 'history'>,
  onEntry: (entry: WorkerLogEntry, run: WorkerRun) => void,
  intervalMs = TAIL_INTERVAL_MS,
): LogTail {
  // `partial` keeps bytes after the last newline: a line (or a UTF-8 character) cut by the read.
  const files = new Map<string, { offset: number; partial: Buffer }>();
  const look = () => {
    for (const run of instances.history()) {
      const file = files.get(run.logPath) ?? { offset: 0, partial: Buffer.alloc(0) };
      files.set(run.logPath, file);
      let size: number;
      try {
        size = statSync(run.logPath).size;
      } catch {
        continue; // not created yet, or the run's directory is gone
      }
      if (size <= file.offset) continue;
      const chunk = readRange(run.logPath, file.offset, size - file.offset);
      file.offset += chunk.length;
      const bytes = Buffer.concat([file.partial, chunk]);
      const end = bytes.lastIndexOf(0x0a) + 1;
      file.partial = bytes.subarray(end);
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        const entry = parseEntry(line);
        if (entry) onEntry(entry, run);
      }
    }
  };
  const timer = setInterval(look, intervalMs);
  return { stop: () => clearInterval(timer) };
}

function readRange(file: string, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}

function parseEntry(line: string): WorkerLogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { event?: unknown; item_id?: unknown };
    if (typeof entry.event !== 'string') return undefined;
    return typeof entry.item_id === 'string' ? { event: entry.event, item_id: entry.item_id } : { event: entry.event };
  } catch {
    return undefined;
  }
}
