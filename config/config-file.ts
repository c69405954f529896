/** Where users write their configuration (at the repository root), named in every problem so they know where to look. */
export const PIPELINE_CONFIG_FILE = 'pipeline.config.ts';
