import type { PipelineConfig } from '../../config/pipeline-config';

/**
 * The worked example of docs/processors.md ("command"): text out of every PDF, with poppler-utils' pdftotext.
 * Copy the parts you need into the pipeline.config.ts at the repository root (paths there are relative to it).
 */
const config: PipelineConfig = {
  processors: {
    'pdf-text': {
      type: 'command',
      // {input} and {output_dir} are absolute paths: never mistaken for an option, whatever the file is called.
      command: ['pdftotext', '-enc', 'UTF-8', '-layout', '{input}', '{output_dir}/{input_name}.txt'],
      timeoutSeconds: 600,
    },
  },
  workerSetup: { script: 'examples/pdf-text/setup.sh', timeoutSeconds: 900 },
};

export default config;
