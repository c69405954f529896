import type * as Entry from '../../../functions/orchestrator/index';

/** The Lambda entry point, loaded fresh with the given environment (the module caches its cold start). */
function loadEntry(env: Record<string, string>): typeof Entry {
  process.env = { ...env, LOG_LEVEL: 'silent' };
  let entry: typeof Entry | undefined;
  jest.isolateModules(() => {
    entry = jest.requireActual<typeof Entry>('../../../functions/orchestrator/index');
  });
  if (!entry) throw new Error('the entry point did not load');
  return entry;
}

const originalEnv = process.env;
afterEach(() => {
  process.env = originalEnv;
});

describe('orchestrator entry point', () => {
  it('does nothing at import time, even with no configuration at all', () => {
    expect(() => loadEntry({})).not.toThrow();
  });

  it('fails the first and every later invocation of a badly configured container, naming the variables', async () => {
    const { handler } = loadEntry({ AWS_REGION: 'us-east-1', MAX_WORKERS: 'lots' });

    const first = handler({ id: 'tick-1' });
    await expect(first).rejects.toThrow(/SQS_QUEUE_URL must be set; .*MAX_WORKERS must be an integer from 1 to 100, got "lots"$/);
    await expect(handler({ id: 'tick-2' })).rejects.toThrow('SQS_QUEUE_URL must be set');
  });
});
