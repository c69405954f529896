import type { CapacityDeclaration } from './capacity';
import type { ProcessorDeclaration } from './processors';
import type { WorkerSetupDeclaration } from './worker-setup';

/**
 * What a deployment configures in code (pipeline.config.ts at the repository root), typed and checked at synth
 * like a construct's props: each part is loaded and checked by its own module (config/processors.ts for the
 * processors, config/capacity.ts for the capacity, config/worker-setup.ts for the worker setup script). Values that
 * differ per deployment stay `PIPELINE_*` environment variables (config/settings.ts).
 */
export interface PipelineConfig {
  /**
   * Processors by name (lowercase letters, digits and hyphens). A row names one in its `processor` attribute.
   * @default {} — only the built-in `copy`
   */
  readonly processors?: Readonly<Record<string, ProcessorDeclaration>>;
  /**
   * The processor of rows that name none; `PIPELINE_DEFAULT_PROCESSOR` overrides it for one deployment.
   * @default 'copy'
   */
  readonly defaultProcessor?: string;
  /**
   * What workers run on: instance types, on-demand or Spot, the image (GPU or not), the root volume, and how
   * interruptions are handled (config/capacity.ts, docs/capacity.md).
   * @default {} — t3.micro, on-demand, Canonical's Ubuntu 24.04, 8 GiB
   */
  readonly capacity?: CapacityDeclaration;
  /**
   * A script every worker runs once at boot, as root, before it takes work: it installs the tools your command
   * processors run (config/worker-setup.ts).
   * @default undefined — none: commands find what the image has
   */
  readonly workerSetup?: WorkerSetupDeclaration;
}

/** Where users write their configuration, named in every problem so they know where to look. */
export const PIPELINE_CONFIG_FILE = 'pipeline.config.ts';
