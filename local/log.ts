import pino from 'pino';

/** What the local run's parts log: one JSON line per event, with a stable `event` name. */
export interface LocalLog {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

/** JSON lines on `destination` (default stderr, so stdout stays the human-readable progress). */
export function createLocalLog(destination: NodeJS.WritableStream = process.stderr, level: 'info' | 'warn' = 'info'): LocalLog {
  const logger = pino({ base: { source: 'local-run' }, level, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return {
    info: (event, fields = {}) => logger.info({ event, ...fields }),
    warn: (event, fields = {}) => logger.warn({ event, ...fields }),
  };
}
