import { defineConfig, type Options } from 'tsup';

// Both runtime programs ship as single self-contained files so the versions of every dependency
// (AWS SDK included) are the ones package-lock.json pins, not whatever the runtime happens to carry.
const shared: Options = {
  format: ['cjs'],
  platform: 'node',
  target: 'node22',
  bundle: true,
  noExternal: [/.*/],
  minify: true,
  sourcemap: true,
  // Stack traces need the mappings, not a copy of every dependency's source: keeps the Lambda zip small.
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  splitting: false,
  outExtension: () => ({ js: '.js' }),
};

export default defineConfig([
  // Lambda handler: dist/orchestrator/index.js exports `handler`, zipped by the lambda module.
  { ...shared, entry: { index: 'functions/orchestrator/index.ts' }, outDir: 'dist/orchestrator' },
  // EC2 worker: dist/worker/worker.js, uploaded to S3 by the s3 module and run by the user data.
  { ...shared, entry: { worker: 'worker/main.ts' }, outDir: 'dist/worker' },
]);
