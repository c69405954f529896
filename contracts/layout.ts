/** Where things live in the pipeline bucket. */

/** Users put files to process under this prefix. */
export const INPUT_PREFIX = 'data/input/';
/** The worker writes `data/input/<rest>` to `data/output/<rest>`. */
export const OUTPUT_PREFIX = 'data/output/';
/** Worker logs: `logs/<instance-id>/<file>`; expired by a lifecycle rule. */
export const LOGS_PREFIX = 'logs/';
/**
 * A bootstrap that fails writes a marker here, `logs/boot-failures/<UTC time>-<instance-id>.json`: the
 * orchestrator reads the recent ones to back off from a boot that always fails. Expires with the logs.
 */
export const BOOT_FAILURES_PREFIX = `${LOGS_PREFIX}boot-failures/`;
/**
 * A worker that receives a Spot interruption notice writes a marker here,
 * `logs/interruptions/<UTC time>-<instance-id>.json` (the time as in {@link BOOT_FAILURES_PREFIX}'s keys): with
 * `capacity.onDemandAfterInterruption`, the orchestrator launches on-demand while a recent one is there.
 */
export const INTERRUPTIONS_PREFIX = `${LOGS_PREFIX}interruptions/`;
/** The worker bundle that instances fetch at boot. */
export const WORKER_CODE_KEY = 'worker/worker.js';

/**
 * The worker's scratch space on an instance: the command processor makes a directory per job here. It is in
 * the unit's StateDirectory (/var/lib/rag-worker), the one place besides its log the sandboxed worker may write.
 */
export const WORKER_SCRATCH_DIR = '/var/lib/rag-worker/scratch';

/** Where the worker logs on the instance, as the original design specifies. */
export const WORKER_LOG_PATH = '/home/ubuntu/sqs_worker.logs';

/** The tag that marks a worker instance. */
export const WORKER_TAG = { key: 'Role', value: 'rag-worker' } as const;
/**
 * The tag holding a worker's slot, `0` to MAX_WORKERS - 1. Overlapping orchestrator runs that see the same
 * free slot launch it with the same idempotency token, so they get one instance, not two.
 */
export const WORKER_SLOT_TAG_KEY = 'rag-worker-slot';
/**
 * The tag holding the client token of the CreateFleet request that launched a worker. An instance a fleet
 * launches does not carry the fleet request's token as its own ClientToken, so the orchestrator reads the used
 * tokens from this tag (functions/orchestrator/launch-token.ts).
 */
export const WORKER_LAUNCH_TOKEN_TAG_KEY = 'rag-worker-launch';
/** The tag saying how a worker was bought: `spot` or `on-demand` (CapacityType in contracts/capacity.ts). */
export const WORKER_PURCHASE_TAG_KEY = 'rag-worker-purchase';
