import type { Bounds } from './tuning';

/**
 * The deployment's worker setup script (pipeline.config.ts `workerSetup`, docs/processors.md "Software on the
 * worker"): uploaded by the synth beside the worker bundle, fetched and run once by the bootstrap, as root,
 * before the worker's service starts. It installs what the deployment's commands need.
 */

/** The script's key in the pipeline bucket; its `source_hash` makes a change show in `cdktf diff`. */
export const WORKER_SETUP_KEY = 'worker/setup';

/**
 * Seconds the script may run (coreutils `timeout`, then KILL 10 s later): default 10 minutes, at most an hour.
 * A timeout fails the boot with status 124 at stage `setup`, and the orchestrator backs off.
 */
export const WORKER_SETUP_TIMEOUT_SECONDS = { default: 600, min: 1, max: 3_600 } as const satisfies Bounds;

/** The largest script the synth accepts: it is fetched at every boot, tools belong in what it downloads. */
export const MAX_WORKER_SETUP_SCRIPT_BYTES = 256 * 1024;
