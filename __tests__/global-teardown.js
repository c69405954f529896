const { rmSync } = require('node:fs');

/** jest's globalTeardown: removes this run's plan cache (global-setup.js). */
module.exports = function globalTeardown() {
  const dir = process.env.RAG_TEST_PLAN_CACHE;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
