import type { TerraformResource } from 'cdktf';

/** A checkov check this resource deliberately does not satisfy, and why. */
export interface CheckovSkip {
  /** e.g. `CKV_AWS_117` */
  readonly id: string;
  /** Why the check does not apply or is accepted: shown to reviewers and asserted non-empty by the gate. */
  readonly comment: string;
}

/**
 * Records, beside the resource, that a checkov check is skipped and why. checkov cannot read inline skips
 * from Terraform JSON (bridgecrewio/checkov#4634), so the reason is written into the resource's `//`
 * comment block (which Terraform ignores) in the shape that issue proposes, and the security gate
 * (`__tests__/emulator/security`) accepts a failed check only when the failing resource carries a skip
 * for it with a reason.
 */
export function skipCheckov(resource: TerraformResource, ...skips: readonly CheckovSkip[]): void {
  for (const skip of skips) {
    if (!/^CKV2?_AWS_\d+$/.test(skip.id)) throw new Error(`checkov skip id must look like CKV_AWS_123, got "${skip.id}"`);
    if (skip.comment.trim().length < 20) throw new Error(`checkov skip ${skip.id} needs a real reason, got "${skip.comment}"`);
  }
  recorded.set(resource, [...(recorded.get(resource) ?? []), ...skips]);
  resource.addOverride('//.checkov.skip', recorded.get(resource)!.map(({ id, comment }) => ({ id, comment })));
}

const recorded = new WeakMap<TerraformResource, readonly CheckovSkip[]>();
