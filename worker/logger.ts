import pino, { type Logger } from 'pino';

export type WorkerLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'fatal' | 'flush'>;

/**
 * JSON lines appended to the log file, written synchronously: a line is on disk before the next event,
 * so nothing is lost when the worker exits or the instance powers off. No transports (they need worker
 * threads, which do not survive bundling into one file).
 */
export function createFileLogger(logPath: string, instanceId: string): Logger {
  return pino(
    {
      base: { instance_id: instanceId, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: logPath, sync: true, append: true, mkdir: true }),
  );
}
