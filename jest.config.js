/** @type {import('jest').Config} */
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  // Type-checking is `npm run typecheck`'s job; jest only transpiles.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  modulePathIgnorePatterns: ['<rootDir>/cdktf.out', '<rootDir>/dist'],
};

module.exports = {
  projects: [
    // Pure logic and synth: fast, no processes.
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    // Suites that start moto and/or terraform themselves.
    { ...shared, displayName: 'emulator', testMatch: ['<rootDir>/__tests__/emulator/**/*.test.ts'] },
  ],
};
