import type { ProcessorCatalog, ProcessorSpec } from '../../contracts';
import type { Processor } from './processor';

/** Builds the processor a catalog entry describes (worker/processors/build.ts). */
export type BuildProcessor = (name: string, spec: ProcessorSpec) => Processor;

/**
 * A catalog never re-read more often than this: a row naming a processor added by a deploy after this worker
 * started is found at the next read, while a flood of rows naming an unknown one costs one read a minute.
 */
export const CATALOG_REFRESH_INTERVAL_MS = 60_000;

export interface ProcessorRegistryOptions {
  readonly catalog: ProcessorCatalog;
  readonly build: BuildProcessor;
  /** Reads the catalog again; undefined when there is none to read (only `copy`). */
  readonly reload?: () => Promise<ProcessorCatalog>;
  readonly now?: () => number;
}

/** The processors of the catalog the worker read, by name, and the one rows get by default. */
export class ProcessorRegistry {
  private processors = new Map<string, Processor>();
  private defaultName = '';
  private lastReadMs: number;
  private reading: Promise<boolean> | undefined;

  constructor(private readonly options: ProcessorRegistryOptions) {
    this.install(options.catalog);
    this.lastReadMs = this.now();
  }

  /** The default processor's name. */
  get defaultProcessor(): string {
    return this.defaultName;
  }

  /** Every configured name, sorted: what a reason lists when a row names another. */
  names(): string[] {
    return [...this.processors.keys()].sort();
  }

  find(name: string): Processor | undefined {
    return this.processors.get(name);
  }

  /**
   * Reads the catalog again, unless it was read within CATALOG_REFRESH_INTERVAL_MS or there is none; resolves to
   * whether it was read. Concurrent callers share one read. A failed read keeps the processors as they are.
   */
  async refresh(): Promise<boolean> {
    const { reload } = this.options;
    if (reload === undefined || this.now() - this.lastReadMs < CATALOG_REFRESH_INTERVAL_MS) return false;
    this.reading ??= (async () => {
      try {
        this.install(await reload());
        return true;
      } finally {
        this.lastReadMs = this.now();
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private install(catalog: ProcessorCatalog): void {
    const processors = new Map<string, Processor>();
    for (const [name, spec] of Object.entries(catalog.processors)) processors.set(name, this.options.build(name, spec));
    this.processors = processors;
    this.defaultName = catalog.defaultProcessor;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
