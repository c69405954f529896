import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { COMMAND_MANIFEST_FILE, MAX_LISTED_OUTPUT_KEYS } from '../../../contracts';
import { outputKeyFor, type OutputFile } from './outputs';

/** Part size of multipart uploads; a file up to this size goes in one PutObject. */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
/** Parts of one large file uploaded at once: with the part size, the most a job buffers (32 MiB). */
const PARTS_AT_ONCE = 4;
/** Small files uploaded at once. */
const SMALL_FILES_AT_ONCE = 4;
/** DeleteObjects takes at most 1,000 keys. */
const DELETE_BATCH = 1000;

export interface PublishTarget {
  readonly bucketName: string;
  /** `data/output/<rest>/<processor>/` (contracts' commandOutputPrefix): every output's key starts with it. */
  readonly prefix: string;
  readonly itemId: string;
  readonly processor: string;
}

export interface Published {
  /** Every output's key, sorted. */
  readonly keys: readonly string[];
  /** The manifest's key, written when there are more than MAX_LISTED_OUTPUT_KEYS outputs. */
  readonly manifestKey?: string;
  readonly bytes: number;
  /** Objects an earlier run left under the prefix that this run did not write, deleted. */
  readonly staleDeleted: number;
}

/** An output changed between the listing and its upload (a link, or no longer a regular file): refused. */
export class OutputChangedError extends Error {
  override readonly name = 'OutputChangedError';
}

/** DeleteObjects answered with per-key errors: transient (the next attempt lists again). */
export class StaleOutputsError extends Error {
  override readonly name = 'StaleOutputsError';
}

/**
 * Publishes a successful command's files: uploads each under the row's prefix (multipart above
 * UPLOAD_PART_BYTES), writes the manifest when there are many, then deletes every object `earlier` lists
 * (listEarlierOutputs, started when the job starts) that this run did not write: what an earlier run left. Only
 * then is the row recorded FINISHED, so a FINISHED row's prefix holds exactly its outputs, never a mix of two
 * runs. S3 errors are thrown (transient) and an abort stops it, after withdrawing what this run added
 * ({@link withdrawNewOutputs}): a retry uploads again and deletes what is stale again. Memory: at most 32 MiB of buffers per job, whatever the files' sizes.
 */
export async function publishOutputs(
  s3: S3Client,
  target: PublishTarget,
  files: readonly OutputFile[],
  earlier: Promise<readonly string[]>,
  abortSignal?: AbortSignal,
): Promise<Published> {
  const small = files.filter((file) => file.bytes <= UPLOAD_PART_BYTES);
  const large = files.filter((file) => file.bytes > UPLOAD_PART_BYTES);
  // Every key an upload started for: one stopped in flight may still have landed.
  const started: string[] = [];
  const upload = async (file: OutputFile): Promise<void> => {
    started.push(file.key);
    await uploadFile(s3, target.bucketName, file, abortSignal);
  };
  const keys = files.map((file) => file.key);
  let manifestKey: string | undefined;
  try {
    await forEachAtMost(small, SMALL_FILES_AT_ONCE, upload);
    for (const file of large) await upload(file);
    if (keys.length > MAX_LISTED_OUTPUT_KEYS) {
      manifestKey = outputKeyFor(target.prefix, COMMAND_MANIFEST_FILE);
      await s3.send(
        new PutObjectCommand({
          Bucket: target.bucketName,
          Key: manifestKey,
          Body: `${JSON.stringify({ schema_version: 1, item_id: target.itemId, processor: target.processor, keys })}\n`,
          ContentType: 'application/json',
        }),
        { abortSignal },
      );
    }
  } catch (error) {
    await withdrawNewOutputs(s3, target.bucketName, started, earlier);
    throw error;
  }
  const kept = new Set(manifestKey === undefined ? keys : [...keys, manifestKey]);
  const stale = (await earlier).filter((key) => !kept.has(key));
  await deleteKeys(s3, target.bucketName, stale, abortSignal);
  const staleDeleted = stale.length;
  return { keys, ...(manifestKey === undefined ? {} : { manifestKey }), bytes: files.reduce((sum, file) => sum + file.bytes, 0), staleDeleted };
}

/** How long the withdrawal of a stopped publication may take: the job's own signal is already aborted. */
const WITHDRAW_TIMEOUT_MS = 10_000;

/**
 * A publication stopped part way (an interruption's cutoff, a SIGTERM, an S3 error): deletes every key it started
 * an upload for that no earlier run holds (deleting a key that never landed is harmless), so a first run that did not finish leaves no partial outputs. A key
 * an earlier run also wrote now holds this run's file; the retry writes it again. Best effort: the row is not
 * FINISHED either way, and the retry's publication deletes what is stale.
 */
async function withdrawNewOutputs(s3: S3Client, bucketName: string, started: readonly string[], earlier: Promise<readonly string[]>): Promise<void> {
  // Without the listing, nothing tells new keys from an earlier run's: leave them all to the retry.
  const before = new Set(await earlier.catch(() => started));
  const added = started.filter((key) => !before.has(key));
  await deleteKeys(s3, bucketName, added, AbortSignal.timeout(WITHDRAW_TIMEOUT_MS)).catch(() => undefined);
}

/**
 * Uploads one file, opened without following a link and checked to still be a regular file, so what is read is
 * what was listed.
 */
async function uploadFile(s3: S3Client, bucketName: string, file: OutputFile, abortSignal?: AbortSignal): Promise<void> {
  const handle = await open(file.absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') throw new OutputChangedError(`the output ${file.relativePath} became a symbolic link`);
    throw error;
  });
  try {
    if (!(await handle.stat()).isFile()) throw new OutputChangedError(`the output ${file.relativePath} is no longer a regular file`);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    try {
      abortSignal?.throwIfAborted();
      await new Upload({
        client: s3,
        params: { Bucket: bucketName, Key: file.key, Body: handle.createReadStream({ autoClose: false }) },
        partSize: UPLOAD_PART_BYTES,
        queueSize: PARTS_AT_ONCE,
        abortController: controller,
      }).done();
    } finally {
      abortSignal?.removeEventListener('abort', onAbort);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Every key under `prefix`: what earlier runs of the row left. The job starts it with the download, so it costs
 * no extra round trip; the keys earlier runs wrote are all there by then.
 */
export async function listEarlierOutputs(s3: S3Client, bucketName: string, prefix: string, abortSignal?: AbortSignal): Promise<string[]> {
  const found: string[] = [];
  let continuationToken: string | undefined;
  do {
    // URL-encoded keys: a key may hold characters XML cannot carry unchanged (a carriage return).
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucketName, Prefix: prefix, ContinuationToken: continuationToken, EncodingType: 'url' }),
      { abortSignal },
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key === undefined ? undefined : decodeListedKey(object.Key);
      if (key !== undefined && key.startsWith(prefix)) found.push(key);
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken !== undefined);
  return found;
}

/** DeleteObjects in batches of 1,000; per-key errors are thrown (transient). */
async function deleteKeys(s3: S3Client, bucketName: string, stale: readonly string[], abortSignal?: AbortSignal): Promise<void> {
  for (let start = 0; start < stale.length; start += DELETE_BATCH) {
    const batch = stale.slice(start, start + DELETE_BATCH);
    const result = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucketName, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      { abortSignal },
    );
    const errors = result.Errors ?? [];
    if (errors.length > 0) throw new StaleOutputsError(`${errors.length} earlier output(s) could not be deleted: ${errors[0].Code ?? 'error'} on ${errors[0].Key ?? '?'}`);
  }
}

/**
 * A key from a listing with `EncodingType=url`: S3 form-encodes it (a space as `+`, botocore decodes with
 * unquote_plus); the SDK for JavaScript leaves decoding to the caller.
 */
export function decodeListedKey(encoded: string): string {
  return decodeURIComponent(encoded.replaceAll('+', ' '));
}

/** Runs `work` on every item, at most `limit` at once; rejects with the first failure once all have settled. */
async function forEachAtMost<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async (): Promise<void> => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (errors.length > 0) throw errors[0];
}
