import { INTERRUPTIONS_PREFIX } from './layout';

/**
 * What capacity workers run on: how they are bought, which images they boot, and how an interruption travels
 * from EC2 to the worker, the work queue, the row and the orchestrator. Shared by the settings checked at synth
 * (config/capacity.ts), the orchestrator's launches (functions/orchestrator), the worker's interruption handling
 * (worker/) and the ops CLI's cost estimate (ops/).
 */

/**
 * How the orchestrator buys workers (docs/capacity.md):
 * - `on-demand`: on-demand instances only (the default);
 * - `spot`: Spot instances only; a tick that finds no Spot capacity in any pool launches nothing and retries;
 * - `spot-then-on-demand`: Spot first, and on-demand in the same tick when no Spot pool has capacity.
 */
export const PurchaseOption = {
  onDemand: 'on-demand',
  spot: 'spot',
  spotThenOnDemand: 'spot-then-on-demand',
} as const;
export type PurchaseOption = (typeof PurchaseOption)[keyof typeof PurchaseOption];
export const PURCHASE_OPTIONS: readonly PurchaseOption[] = Object.values(PurchaseOption);

/**
 * What one instance is, as CreateFleet's `DefaultTargetCapacityType` and IMDS `instance-life-cycle` name it.
 * A worker records it on every row it finishes or fails (`purchase_option`).
 */
export const CapacityType = {
  onDemand: 'on-demand',
  spot: 'spot',
} as const;
export type CapacityType = (typeof CapacityType)[keyof typeof CapacityType];

/**
 * The images a worker may boot. Both are Ubuntu 24.04 on x86_64, whose curl (8.5.0) signs S3 requests as the
 * bootstrap needs (curl ≥ 7.87; runtime/bootstrap/user-data-template.ts):
 * - `ubuntu`: Canonical's Ubuntu Server 24.04 LTS;
 * - `gpu`: the AWS Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04), which carries the NVIDIA driver
 *   (installing it at boot adds about 3 minutes: elastic-ci-stack #658).
 */
export const WorkerImage = {
  ubuntu: 'ubuntu',
  gpu: 'gpu',
} as const;
export type WorkerImage = (typeof WorkerImage)[keyof typeof WorkerImage];
export const WORKER_IMAGES: readonly WorkerImage[] = Object.values(WorkerImage);

/**
 * The public SSM parameter each image is resolved through at launch (`resolve:ssm:`), so the plan needs no AWS
 * lookup.
 * - Canonical: `/aws/service/canonical/ubuntu/server/<release>/stable/current/<arch>/hvm/<volume>/ami-id`
 *   (Canonical, "Finding Ubuntu images with the AWS SSM Parameter Store").
 * - AWS: `/aws/service/deeplearning/ami/<architecture>/<ami_type>/latest/ami-id`, where ami_type is the DLAMI's
 *   name without "deep", "learning" and "ami" (AWS Deep Learning AMIs developer guide, "Finding the ID of a
 *   DLAMI"): "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04)" → base-oss-nvidia-driver-gpu-ubuntu-24.04.
 */
export const IMAGE_PARAMETERS: Readonly<Record<WorkerImage, string>> = {
  ubuntu: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
  gpu: '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
};

/**
 * The oldest Ubuntu release the bootstrap runs on. It signs its S3 requests with `curl --aws-sigv4` and its own
 * `x-amz-security-token` and `x-amz-content-sha256` headers: curl signs a caller's headers only from 7.86 and
 * honours a caller's content hash only from 7.87 (lib/http_aws_sigv4.c at the release tags), and S3 refuses a
 * request with unsigned x-amz-* headers. Ubuntu 24.04 ships curl 8.5.0, 22.04 7.81.0, 20.04 7.68.0 (which has no
 * --aws-sigv4 at all). The settings refuse older releases at synth; the image check refuses them at launch.
 */
export const MIN_UBUNTU_RELEASE = '24.04';
/** The curl the bootstrap needs (see {@link MIN_UBUNTU_RELEASE}); the bootstrap checks it before any S3 request. */
export const MIN_CURL_VERSION = '7.87.0';

/** Bounds of the root volume, in GiB: the image's root snapshot (8 GiB for Canonical's 24.04) up to EBS gp3's 16 TiB. */
export const ROOT_VOLUME_GIB = { default: 8, min: 8, max: 16_384 } as const;

/**
 * Interruptions a row's work may suffer without spending one of the work queue's receives (docs/capacity.md,
 * "Interruptions"): up to this many, an interrupted message is sent again as a new message (ApproximateReceiveCount
 * starts again) and the original deleted; beyond it, it is released like a crashed worker's, and counts toward
 * maxReceiveCount.
 */
export const INTERRUPTION_RETRIES = { default: 5, min: 0, max: 100 } as const;

/**
 * After a Spot interruption notice (docs/capacity.md, "Interruptions"), a job still running this long before the
 * deadline is stopped. It is what the worker needs before the instance goes, once its jobs are stopped: their
 * messages sent again and deleted, the rows' interruption counts, the marker, the last metrics (the worker's
 * PUBLISH_TIMEOUT_MS, 10 s) and the log upload (LOG_UPLOAD_TIMEOUT_MS, 30 s). The soak times its notices by it.
 */
export const INTERRUPTION_MARGIN_MS = 45_000;

/**
 * After a worker is interrupted, how long launches go on-demand when the deployment asks for it
 * (`capacity.onDemandAfterInterruption`): the interrupted rows' retries, and the rest of the backlog, then run on
 * capacity that is not reclaimed.
 */
export const ON_DEMAND_AFTER_INTERRUPTION_MS = 30 * 60_000;

/**
 * `logs/interruptions/<time>-<instance-id>.json`, the key an interrupted worker writes, the time as in the boot-failure
 * markers' keys (`2026-11-27T12-34-56-789Z`), so keys sort by time and the orchestrator lists the recent ones with
 * StartAfter.
 */
export function interruptionMarkerKey(instanceId: string, time: Date): string {
  return `${INTERRUPTIONS_PREFIX}${time.toISOString().replace(/[:.]/g, '-')}-${instanceId}.json`;
}
