import type { LocalLog } from '../../local/log';

/** A local-run log that records its events in memory, for assertions. */
export function memoryLog(): LocalLog & { readonly events: { level: string; event: string; fields: Record<string, unknown> }[] } {
  const events: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  return {
    events,
    info: (event, fields = {}) => events.push({ level: 'info', event, fields }),
    warn: (event, fields = {}) => events.push({ level: 'warn', event, fields }),
  };
}
