const Sequencer = require('@jest/test-sequencer').default;

/**
 * Orders suites so the slowest start first. Jest's own sequencer does this from the durations it cached on
 * earlier runs; a fresh clone (CI) has no cache, so the emulator suites, which deploy or plan with
 * terraform, are put ahead of the unit suites, and each group keeps jest's order.
 */
class SlowestFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const emulator = (test) => /[\\/]__tests__[\\/]emulator[\\/]/.test(test.path);
    return [...sorted.filter(emulator), ...sorted.filter((test) => !emulator(test))];
  }
}

module.exports = SlowestFirstSequencer;
