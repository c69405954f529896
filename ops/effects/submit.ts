import { stat, readFile } from 'node:fs/promises';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ItemAttribute, ItemStatus } from '../../contracts';
import { UsageError } from '../errors';
import type { SubmitOutcome } from '../report';
import type { SubmitTarget } from '../submit-plan';
import { httpStatusOf, isNotFound } from './s3-errors';

export interface SubmitDeps {
  readonly s3: S3Client;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly bucketName: string;
  /** Replace existing objects when uploading; otherwise an existing object is an error. */
  readonly overwrite: boolean;
  /** Items written at once. */
  readonly concurrency: number;
  readonly newId: () => string;
  /**
   * A fresh `request_token` for each row: the worker records an outcome only while the row still carries the
   * token it read, so a later resubmission of the row is never mistaken for this one.
   */
  readonly newRequestToken: () => string;
  /** Called after each item, written or not, for the progress bar. */
  readonly onItemDone?: () => void;
  /** The processor every row names (its `processor` attribute); undefined: the deployment's default. */
  readonly processor?: string;
  /** The deployment's processors, which `processor` must be one of; read by the caller when `processor` is set. */
  readonly knownProcessors?: readonly string[];
}

/**
 * Checks, before anything is written, that every local file is a readable file, every `s3://` source
 * exists, no upload would replace an object (unless overwriting), and the processor asked for is configured.
 * Throws one UsageError naming each.
 */
export async function preflight(targets: readonly SubmitTarget[], deps: SubmitDeps): Promise<void> {
  const problems = (await Promise.all(targets.map((target) => problemWith(target, deps)))).filter(
    (problem): problem is string => problem !== undefined,
  );
  if (deps.processor !== undefined && deps.knownProcessors !== undefined && !deps.knownProcessors.includes(deps.processor)) {
    problems.unshift(`--processor ${deps.processor}: not configured in this deployment; its processors are ${deps.knownProcessors.join(', ')}`);
  }
  if (problems.length > 0) throw new UsageError(`nothing submitted:\n  ${problems.join('\n  ')}`);
}

async function problemWith(target: SubmitTarget, deps: SubmitDeps): Promise<string | undefined> {
  if (target.localFile !== undefined) {
    try {
      if (!(await stat(target.localFile)).isFile()) return `${target.source}: not a file`;
    } catch {
      return `${target.source}: no such file`;
    }
    if (deps.overwrite) return undefined;
    const exists = await objectExists(deps, target.key);
    return exists ? `${target.source}: ${target.s3Path} already exists (--overwrite replaces it)` : undefined;
  }
  return (await objectExists(deps, target.key)) ? undefined : `${target.source}: no such object`;
}

async function objectExists(deps: SubmitDeps, key: string): Promise<boolean> {
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucketName, Key: key }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * Uploads (local files) and writes one PENDING row per target, `concurrency` at a time. At the first
 * failure no new item starts; items already started finish. A row that cannot be written takes its fresh
 * upload away with it, so each item is all-or-nothing.
 */
export async function submitTargets(targets: readonly SubmitTarget[], deps: SubmitDeps): Promise<SubmitOutcome> {
  const submitted: { target: SubmitTarget; id: string }[] = [];
  let failure: SubmitOutcome['failure'];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < targets.length) {
      const target = targets[next++];
      try {
        submitted.push({ target, id: await submitOne(target, deps) });
      } catch (error) {
        if (!(error instanceof SubmitItemError)) throw error;
        failure ??= { target, reason: error.reason, objectLeftBehind: error.objectLeftBehind };
      }
      deps.onItemDone?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, targets.length) }, lane));
  const finished = new Set([...submitted.map((item) => item.target), ...(failure ? [failure.target] : [])]);
  return { submitted, failure, notAttempted: targets.filter((target) => !finished.has(target)) };
}

/** One item's failure, as the report shows it. */
class SubmitItemError extends Error {
  constructor(
    readonly reason: string,
    readonly objectLeftBehind: boolean,
  ) {
    super(reason);
  }
}

async function submitOne(target: SubmitTarget, deps: SubmitDeps): Promise<string> {
  const uploaded = target.localFile !== undefined;
  if (target.localFile !== undefined) {
    try {
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.bucketName,
          Key: target.key,
          Body: await readFile(target.localFile),
          // Refuse to replace an object that appeared since the preflight check.
          ...(deps.overwrite ? {} : { IfNoneMatch: '*' }),
        }),
      );
    } catch (error) {
      const reason = httpStatusOf(error) === 412 ? `${target.s3Path} already exists` : `upload failed: ${describe(error)}`;
      throw new SubmitItemError(reason, false);
    }
  }
  const id = deps.newId();
  try {
    await deps.documents.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          [ItemAttribute.id]: id,
          [ItemAttribute.status]: ItemStatus.PENDING,
          [ItemAttribute.s3Path]: target.s3Path,
          [ItemAttribute.requestToken]: deps.newRequestToken(),
          ...(deps.processor === undefined ? {} : { [ItemAttribute.processor]: deps.processor }),
        },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': ItemAttribute.id },
      }),
    );
    return id;
  } catch (error) {
    const reason = `row not written: ${describe(error)}`;
    // An overwritten object had content before; deleting it would lose that, so only fresh uploads go.
    const objectLeftBehind = uploaded && (deps.overwrite || !(await removeUpload(target, deps)));
    throw new SubmitItemError(reason, objectLeftBehind);
  }
}

async function removeUpload(target: SubmitTarget, deps: SubmitDeps): Promise<boolean> {
  try {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucketName, Key: target.key }));
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
