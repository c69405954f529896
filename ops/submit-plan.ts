import * as path from 'node:path';
import { INPUT_PREFIX } from '../contracts';
import { planItemPaths } from '../runtime/item-paths';
import { UsageError } from './errors';

const S3_SCHEME = 's3://';

/** One argument of `submit`: where the file is now and the `s3_path` its row will carry. */
export interface SubmitTarget {
  /** The argument as the user typed it, for messages. */
  readonly source: string;
  /** Set for a local file to upload; absent for an object already in the bucket. */
  readonly localFile?: string;
  readonly key: string;
  /** `s3://<bucket>/data/input/<rest>`. */
  readonly s3Path: string;
}

export interface SubmitPlanOptions {
  readonly bucketName: string;
  /** From parseKeyPrefix: empty or ending in `/`; local files go to `data/input/<prefix><file name>`. */
  readonly keyPrefix: string;
}

/**
 * Maps every argument to its target, or throws one UsageError listing every bad argument, so nothing is
 * written when any is wrong. `s3://` arguments must already be under the pipeline bucket's input prefix;
 * anything else is a local file uploaded there. Paths are checked by the worker's own rule (planItemPaths), so
 * the CLI accepts exactly what the worker will process.
 */
export function planSubmission(args: readonly string[], options: SubmitPlanOptions): SubmitTarget[] {
  const problems: string[] = [];
  const targets: SubmitTarget[] = [];
  for (const source of args) {
    const local = !source.startsWith(S3_SCHEME);
    const s3Path = local
      ? `${S3_SCHEME}${options.bucketName}/${INPUT_PREFIX}${options.keyPrefix}${path.basename(source)}`
      : source;
    const check = planItemPaths(s3Path, options.bucketName);
    if (!check.ok) {
      problems.push(local ? `${source}: cannot be uploaded: ${check.reason}` : `${source}: ${check.reason}`);
      continue;
    }
    targets.push({ source, key: check.paths.sourceKey, s3Path, ...(local ? { localFile: source } : {}) });
  }
  problems.push(...duplicates(targets));
  if (problems.length > 0) throw new UsageError(`nothing submitted:\n  ${problems.join('\n  ')}`);
  return targets;
}

/** Two arguments that land on one object would make two rows for one file, or overwrite an upload. */
function duplicates(targets: readonly SubmitTarget[]): string[] {
  const firstByPath = new Map<string, SubmitTarget>();
  const problems: string[] = [];
  for (const target of targets) {
    const first = firstByPath.get(target.s3Path);
    if (first) problems.push(`${first.source} and ${target.source} both name ${target.s3Path}`);
    else firstByPath.set(target.s3Path, target);
  }
  return problems;
}
