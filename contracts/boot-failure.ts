import { BOOT_FAILURES_PREFIX } from './layout';

/**
 * Where a worker's boot failed, as the marker's `stage`:
 * - `metadata`: the instance metadata (IMDSv2) could not be read;
 * - `curl`: the image's curl cannot sign S3 requests (older than MIN_CURL_VERSION): no marker can be written then;
 * - `node`: the Node.js runtime could not be fetched from the bucket, failed its SHA-512 check or does not run;
 * - `worker-fetch`: the worker bundle could not be fetched from the bucket;
 * - `setup`: the deployment's setup script (contracts/worker-setup.ts) could not be fetched, exited non-zero,
 *   or ran past its timeout (status 124; 137 when it had to be killed);
 * - `service`: the worker user or its systemd unit could not be set up or started;
 * - `worker`: the worker ran and exited non-zero (a bad configuration, a crash, killed by the OOM killer).
 */
export const BootStage = {
  metadata: 'metadata',
  curl: 'curl',
  node: 'node',
  workerFetch: 'worker-fetch',
  setup: 'setup',
  service: 'service',
  worker: 'worker',
} as const;
export type BootStage = (typeof BootStage)[keyof typeof BootStage];

/** The JSON object a failed boot PUTs under BOOT_FAILURES_PREFIX (written by runtime/bootstrap). */
export interface BootFailureMarker {
  readonly instance_id: string;
  /** The failed step's exit status; 128 + n when a signal n ended it (137: SIGKILL, the OOM killer). */
  readonly status: number;
  readonly stage: BootStage;
  /** UTC, ISO 8601 with milliseconds: `2026-11-27T12:34:56.789Z`. */
  readonly time: string;
}

/**
 * `logs/boot-failures/<time>-<instance-id>.json`, the time as in the worker's log keys
 * (`2026-11-27T12-34-56-789Z`: no `:`, which SigV4 signing by curl would have to escape), so keys sort by
 * time and a reader can list from `bootFailureMarkerKey('', since)` with StartAfter.
 */
export function bootFailureMarkerKey(instanceId: string, time: Date): string {
  return `${BOOT_FAILURES_PREFIX}${time.toISOString().replace(/[:.]/g, '-')}-${instanceId}.json`;
}
