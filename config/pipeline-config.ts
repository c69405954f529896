import type { CapacityDeclaration } from './capacity';
import type { ProcessorsConfig } from './processors';
import type { WorkerSetupConfig } from './worker-setup';

/**
 * What a deployment configures in code (pipeline.config.ts at the repository root), typed and checked at synth
 * like a construct's props: each part is loaded and checked by its own module (config/processors.ts for the
 * processors, config/capacity.ts for the capacity, config/worker-setup.ts for the worker setup script). Values that
 * differ per deployment stay `PIPELINE_*` environment variables (config/settings.ts).
 */
export interface PipelineConfig extends ProcessorsConfig, WorkerSetupConfig {
  /**
   * What workers run on: instance types, on-demand or Spot, the image (GPU or not), the root volume, and how
   * interruptions are handled (config/capacity.ts, docs/capacity.md).
   * @default {} — t3.micro, on-demand, Canonical's Ubuntu 24.04, 8 GiB
   */
  readonly capacity?: CapacityDeclaration;
}
