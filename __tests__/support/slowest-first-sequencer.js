const { readFileSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

/** Guesses for files jest has no time for yet (a new file, or every file in a fresh clone), in ms. */
const GUESS_MS = {
  /** A suite that deploys the whole stack to moto with terraform (the local end-to-end files): minutes. */
  deploys: 300_000,
  /** Any other emulator suite: moto, worker processes, terraform plans. */
  emulator: 30_000,
  unit: 1_000,
};

/**
 * Orders suites so the slowest start first: with 3 workers and a few files of several minutes, a slow file
 * started last decides the run's wall time. Jest's own sequencer runs the files that failed last time first,
 * then the ones it has no time for, and only then the rest by duration: one failed run of a short suite, or one
 * new file, sent the 5-minute end-to-end files behind them. This one orders by jest's cached durations, longest
 * first, and guesses the rest (GUESS_MS), a suite that deploys the stack being the longest.
 */
class SlowestFirstSequencer extends Sequencer {
  sort(tests) {
    for (const test of tests) test.duration = this.time(test) ?? undefined;
    const expected = new Map(tests.map((test) => [test.path, test.duration ?? guess(test.path)]));
    return [...tests].sort((a, b) => expected.get(b.path) - expected.get(a.path) || a.path.localeCompare(b.path));
  }
}

/** How a suite deploys the stack (__tests__/emulator/local/support.ts): its own call, or the shared hooks. */
const DEPLOYS = /\b(?:useLocalPipeline|startPipelineForTest)\(/;

function guess(path) {
  if (!/[\\/]__tests__[\\/]emulator[\\/]/.test(path)) return GUESS_MS.unit;
  return DEPLOYS.test(readFileSync(path, 'utf8')) ? GUESS_MS.deploys : GUESS_MS.emulator;
}

module.exports = SlowestFirstSequencer;
