import type { WorkerLogger } from '../../worker/logger';

/** A logger that keeps each logged object, for asserting on `event` names and fields. */
export function recordingLogger(): { logger: WorkerLogger; events: Array<Record<string, unknown>>; names: () => unknown[] } {
  const events: Array<Record<string, unknown>> = [];
  const record = (level: string) => (fields: Record<string, unknown>) => {
    events.push({ level, ...fields });
  };
  const logger = {
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    fatal: record('fatal'),
    flush: () => undefined,
  } as unknown as WorkerLogger;
  return { logger, events, names: () => events.map((event) => event.event) };
}
