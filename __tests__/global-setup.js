const { mkdirSync } = require('node:fs');
const path = require('node:path');
const buildBundles = require('./support/build-bundles');

/** Must match PLAN_CACHE_ENV and PLAN_CACHE_ROOT in support/synth.ts. */
const PLAN_CACHE_ENV = 'RAG_TEST_PLAN_CACHE';
const PLAN_CACHE_ROOT = path.resolve(__dirname, '..', 'node_modules', '.cache', 'rag-terraform-plans');

/**
 * jest's globalSetup: the bundles (support/build-bundles.js), then a plan cache for this run only. The test
 * workers, started after this, inherit the variable naming it, so suites that plan the same configuration
 * share one plan (support/synth.ts, offlinePlan); global-teardown.js removes it.
 */
module.exports = function globalSetup() {
  buildBundles();
  const dir = path.join(PLAN_CACHE_ROOT, `run-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  process.env[PLAN_CACHE_ENV] = dir;
};
