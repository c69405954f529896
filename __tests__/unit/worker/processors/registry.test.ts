import { COPY_ONLY_CATALOG, ProcessorType, type ProcessorCatalog, type ProcessorSpec } from '../../../../contracts';
import type { Processor } from '../../../../worker/processors/processor';
import { CATALOG_REFRESH_INTERVAL_MS, ProcessorRegistry } from '../../../../worker/processors/registry';

const build = (name: string, spec: ProcessorSpec): Processor => ({ name, type: spec.type, process: () => Promise.reject(new Error('unused')) });
const withScan: ProcessorCatalog = { ...COPY_ONLY_CATALOG, processors: { ...COPY_ONLY_CATALOG.processors, scan: { type: ProcessorType.copy } } };

describe('ProcessorRegistry', () => {
  it('finds the catalog processors by name and knows the default', () => {
    const registry = new ProcessorRegistry({ catalog: withScan, build });

    expect(registry.names()).toEqual(['copy', 'scan']);
    expect(registry.find('scan')?.name).toBe('scan');
    expect(registry.find('ocr')).toBeUndefined();
    expect(registry.defaultProcessor).toBe('copy');
  });

  it('reads the catalog again once the interval has passed, and installs what it read', async () => {
    let now = 0;
    const reload = jest.fn(async () => withScan);
    const registry = new ProcessorRegistry({ catalog: COPY_ONLY_CATALOG, build, reload, now: () => now });

    await expect(registry.refresh()).resolves.toBe(false);
    now = CATALOG_REFRESH_INTERVAL_MS;
    await expect(registry.refresh()).resolves.toBe(true);

    expect(reload).toHaveBeenCalledTimes(1);
    expect(registry.find('scan')).toBeDefined();
  });

  it('shares one read between concurrent callers', async () => {
    let release!: (catalog: ProcessorCatalog) => void;
    const reload = jest.fn(() => new Promise<ProcessorCatalog>((resolve) => (release = resolve)));
    let now = 0;
    const registry = new ProcessorRegistry({ catalog: COPY_ONLY_CATALOG, build, reload, now: () => now });
    now = CATALOG_REFRESH_INTERVAL_MS;

    const both = Promise.all([registry.refresh(), registry.refresh()]);
    release(withScan);

    await expect(both).resolves.toEqual([true, true]);
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('keeps its processors when a read fails, and waits the interval before the next one', async () => {
    let now = 0;
    const reload = jest.fn().mockRejectedValueOnce(new Error('AccessDenied')).mockResolvedValue(withScan);
    const registry = new ProcessorRegistry({ catalog: COPY_ONLY_CATALOG, build, reload, now: () => now });
    now = CATALOG_REFRESH_INTERVAL_MS;

    await expect(registry.refresh()).rejects.toThrow('AccessDenied');
    expect(registry.names()).toEqual(['copy']);
    await expect(registry.refresh()).resolves.toBe(false);
    now += CATALOG_REFRESH_INTERVAL_MS;
    await expect(registry.refresh()).resolves.toBe(true);
  });

  it('never reads when there is no catalog to read', async () => {
    const registry = new ProcessorRegistry({ catalog: COPY_ONLY_CATALOG, build, now: () => Number.MAX_SAFE_INTEGER });

    await expect(registry.refresh()).resolves.toBe(false);
  });
});
