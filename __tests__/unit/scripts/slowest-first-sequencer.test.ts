import { readdirSync } from 'node:fs';
import * as path from 'node:path';

// CommonJS, as jest loads a testSequencer.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SlowestFirstSequencer = require('../../support/slowest-first-sequencer');

const TESTS_ROOT = path.resolve(__dirname, '../..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('the slowest-first sequencer with no timing cache (a fresh clone)', () => {
  // No cache: every duration is a guess.
  const context = { config: { cache: false } };
  const sorted: string[] = new SlowestFirstSequencer()
    .sort(testFiles(TESTS_ROOT).map((file) => ({ path: file, context })))
    .map((test: { path: string }) => path.relative(TESTS_ROOT, test.path));

  it('starts the suites that deploy the stack first: they decide the wall time', () => {
    expect(sorted.slice(0, 2).sort()).toEqual(['emulator/local/pipeline.test.ts', 'emulator/local/soak.test.ts']);
  });

  it('runs the other emulator suites before the unit suites', () => {
    const firstUnit = sorted.findIndex((file) => file.startsWith('unit/'));
    expect(firstUnit).toBeGreaterThan(2);
    expect(sorted.slice(2, firstUnit).every((file) => file.startsWith('emulator/'))).toBe(true);
    expect(sorted.slice(firstUnit).every((file) => file.startsWith('unit/'))).toBe(true);
  });
});
