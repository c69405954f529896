import type { PipelineConfig } from './config/pipeline-config';

/**
 * Your deployment's configuration in code, checked when the stack is synthesized (docs/processors.md).
 * With nothing here, every row is copied from data/input/ to data/output/ (the built-in `copy` processor).
 */
const config: PipelineConfig = {
  processors: {},
};

export default config;
