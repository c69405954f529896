/** @type {import('jest').Config} */
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  // Type-checking is `npm run typecheck`'s job; jest only transpiles.
  transform: {
    '^.+\\.ts$': 'ts-jest',
    'node_modules/unpdf/dist/pdfjs\\.mjs$': '<rootDir>/__tests__/support/esm-to-cjs-transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!unpdf/dist/pdfjs\\.mjs$)'],
  // unpdf exports PDF.js for `import` only; the transform above makes it loadable under jest's require.
  moduleNameMapper: { '^unpdf/pdfjs$': '<rootDir>/node_modules/unpdf/dist/pdfjs.mjs' },
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  modulePathIgnorePatterns: ['<rootDir>/cdktf.out', '<rootDir>/dist'],
};

module.exports = {
  // The emulator suites mostly wait on moto, terraform and SQS timeouts: on a 2-core machine jest's default
  // (cores - 1 = 1 worker) would run those waits one after another. Four workers overlap them: the two suites that
  // deploy the stack take a worker each for most of the run, and two more share the rest (docs/benchmarks.md,
  // Test suite: 269 s against 323 s with three).
  maxWorkers: 4,
  // Longest suites first, so the last worker to finish is not the one that started the slowest file last.
  // Builds the bundles once when they are stale, before any suite reads them, and makes this run's plan cache
  // (suites planning the same configuration share one terraform plan); the teardown removes the cache.
  globalSetup: '<rootDir>/__tests__/global-setup.js',
  globalTeardown: '<rootDir>/__tests__/global-teardown.js',
  testSequencer: '<rootDir>/__tests__/support/slowest-first-sequencer.js',
  projects: [
    // Pure logic and synth: fast, no processes.
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    // Suites that start moto and/or terraform themselves.
    { ...shared, displayName: 'emulator', testMatch: ['<rootDir>/__tests__/emulator/**/*.test.ts'] },
  ],
};
