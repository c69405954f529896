import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type CopyObjectCommandInput,
  type HeadObjectCommandOutput,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { MIN_PART_BYTES } from '../config';
import type { WorkerLogger } from '../logger';
import { abandonUpload } from './multipart-cleanup';
import { WorkerLogEvent } from '../../contracts';

/** Parts copied at once within one multipart copy. */
const PART_CONCURRENCY = 4;
/** Preferred part size above the threshold: large enough for few requests, small enough to retry cheaply. */
const PREFERRED_PART_BYTES = 512 * 1024 * 1024;
const MAX_PARTS = 10_000;

export interface CopyRequest {
  readonly bucketName: string;
  readonly sourceKey: string;
  readonly destinationKey: string;
  /** Objects larger than this use multipart UploadPartCopy; at most 5 GiB (CopyObject's limit). */
  readonly multipartThresholdBytes: number;
}

export interface CopyOptions {
  /** The job's signal; the clean-up of a failed multipart upload ignores it. */
  readonly abortSignal?: AbortSignal;
  /** Told when a failed multipart upload may have left parts behind. */
  readonly logger?: Pick<WorkerLogger, 'warn'>;
}

export interface CopyResult {
  readonly bytes: number;
  readonly multipart: boolean;
  readonly parts: number;
}

/**
 * Copies one object inside S3 (no bytes pass through the instance), keeping its content type, the other
 * standard headers, its user metadata, its tags and its SSE-KMS key. Every request names the source's ETag,
 * so a source replaced mid-copy fails the copy (PreconditionFailed: retried later) instead of mixing two versions.
 */
export async function copyObject(s3: S3Client, request: CopyRequest, options: CopyOptions = {}): Promise<CopyResult> {
  const { abortSignal } = options;
  const head = await s3.send(new HeadObjectCommand({ Bucket: request.bucketName, Key: request.sourceKey }), { abortSignal });
  const bytes = head.ContentLength ?? 0;
  if (bytes <= request.multipartThresholdBytes) {
    await s3.send(
      new CopyObjectCommand({
        Bucket: request.bucketName,
        Key: request.destinationKey,
        CopySource: copySource(request.bucketName, request.sourceKey),
        CopySourceIfMatch: head.ETag,
        // COPY keeps ContentType, the other standard headers and user metadata as they are on the source; the
        // tagging directive's default (COPY) keeps the tags.
        MetadataDirective: 'COPY',
        ...encryptionOf(head),
      }),
      { abortSignal },
    );
    return { bytes, multipart: false, parts: 1 };
  }
  const parts = await copyInParts(s3, request, head, bytes, options);
  return { bytes, multipart: true, parts };
}

/** `bucket/key` with each key segment percent-encoded, as CopySource requires (spaces, +, %, unicode, ?, #). */
export function copySource(bucketName: string, key: string): string {
  return `${bucketName}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Part size: the threshold (≥ 5 MiB) up to 512 MiB, larger only when 10,000 parts would not hold the object. */
export function partSizeFor(bytes: number, multipartThresholdBytes: number): number {
  const preferred = Math.max(MIN_PART_BYTES, Math.min(multipartThresholdBytes, PREFERRED_PART_BYTES));
  return Math.max(preferred, Math.ceil(bytes / MAX_PARTS));
}

type EncryptionHeaders = Pick<CopyObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId' | 'BucketKeyEnabled'>;

/**
 * The source's KMS encryption, to be asked for again on the copy: without SSE headers S3 applies the bucket's
 * default encryption, which would silently turn an SSE-KMS input into an SSE-S3 output. Anything else (SSE-S3,
 * no encryption) is left to the bucket's default.
 */
export function encryptionOf(head: HeadObjectCommandOutput): EncryptionHeaders {
  const algorithm = head.ServerSideEncryption;
  if (algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') return {};
  return {
    ServerSideEncryption: algorithm,
    ...(head.SSEKMSKeyId === undefined ? {} : { SSEKMSKeyId: head.SSEKMSKeyId }),
    ...(head.BucketKeyEnabled === undefined ? {} : { BucketKeyEnabled: head.BucketKeyEnabled }),
  };
}

/** The `x-amz-tagging` form of a tag set (URL query encoding); undefined when there are no tags. */
export function taggingOf(tags: readonly Tag[] | undefined): string | undefined {
  if (tags === undefined || tags.length === 0) return undefined;
  return tags.map((tag) => `${encodeURIComponent(tag.Key ?? '')}=${encodeURIComponent(tag.Value ?? '')}`).join('&');
}

/**
 * The ETag S3 gives an object completed from these parts: the MD5 of the parts' binary MD5s, then `-<count>`.
 * A destination carrying it was completed from exactly these parts.
 */
export function multipartETag(parts: readonly CompletedPart[]): string {
  const digests = parts.map((part) => Buffer.from((part.ETag ?? '').replaceAll('"', ''), 'hex'));
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${parts.length}"`;
}

async function copyInParts(
  s3: S3Client,
  request: CopyRequest,
  head: HeadObjectCommandOutput,
  bytes: number,
  { abortSignal, logger }: CopyOptions,
): Promise<number> {
  // CreateMultipartUpload, unlike CopyObject, sets no tags unless told.
  const { TagSet: tags } = await s3.send(new GetObjectTaggingCommand({ Bucket: request.bucketName, Key: request.sourceKey }), {
    abortSignal,
  });
  const { UploadId: uploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: request.bucketName,
      Key: request.destinationKey,
      ContentType: head.ContentType,
      ContentEncoding: head.ContentEncoding,
      ContentDisposition: head.ContentDisposition,
      ContentLanguage: head.ContentLanguage,
      CacheControl: head.CacheControl,
      Metadata: head.Metadata,
      Tagging: taggingOf(tags),
      ...encryptionOf(head),
    }),
    { abortSignal },
  );
  if (uploadId === undefined) throw new Error(`CreateMultipartUpload returned no UploadId for ${request.destinationKey}`);
  try {
    const completed = await copyParts(s3, request, head, bytes, uploadId, abortSignal);
    await complete(s3, request, uploadId, completed, bytes, abortSignal);
    return completed.length;
  } catch (error) {
    const outcome = await abandonUpload(s3, { bucketName: request.bucketName, key: request.destinationKey, uploadId });
    if (!outcome.removed) {
      logger?.warn({
        event: WorkerLogEvent.multipartPartsLeft,
        destination_key: request.destinationKey,
        upload_id: uploadId,
        attempts: outcome.attempts,
        reason: outcome.reason,
      });
    }
    throw error;
  }
}

/**
 * Copies every part, PART_CONCURRENCY at a time. After the first failure no new part starts, and the copy
 * waits for every part already sent to settle before it reports the failure: an abort sent while sibling
 * parts are still being written could leave those parts behind.
 */
async function copyParts(
  s3: S3Client,
  request: CopyRequest,
  head: HeadObjectCommandOutput,
  bytes: number,
  uploadId: string,
  abortSignal?: AbortSignal,
): Promise<CompletedPart[]> {
  const partSize = partSizeFor(bytes, request.multipartThresholdBytes);
  const ranges = Array.from({ length: Math.ceil(bytes / partSize) }, (_, index) => ({
    partNumber: index + 1,
    first: index * partSize,
    last: Math.min(bytes, (index + 1) * partSize) - 1,
  }));
  const completed: CompletedPart[] = new Array(ranges.length);
  let next = 0;
  let failed = false;
  const copyNextParts = async (): Promise<void> => {
    while (next < ranges.length && !failed) {
      const range = ranges[next++];
      try {
        const result = await s3.send(
          new UploadPartCopyCommand({
            Bucket: request.bucketName,
            Key: request.destinationKey,
            UploadId: uploadId,
            PartNumber: range.partNumber,
            CopySource: copySource(request.bucketName, request.sourceKey),
            CopySourceIfMatch: head.ETag,
            CopySourceRange: `bytes=${range.first}-${range.last}`,
          }),
          { abortSignal },
        );
        completed[range.partNumber - 1] = { PartNumber: range.partNumber, ETag: result.CopyPartResult?.ETag };
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(PART_CONCURRENCY, ranges.length) }, copyNextParts));
  const failure = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
  if (failure) throw failure.reason;
  return completed;
}

/**
 * CompleteMultipartUpload. `NoSuchUpload` here does not mean the source is gone: S3 says the upload "might have
 * been aborted or completed" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html),
 * typically when an earlier attempt of this very request completed it and its answer was lost. The destination
 * then tells: with this size and the ETag of exactly these parts, the copy is done; otherwise the error stands
 * (transient: the message comes back and the copy runs again).
 */
async function complete(
  s3: S3Client,
  request: CopyRequest,
  uploadId: string,
  parts: CompletedPart[],
  bytes: number,
  abortSignal?: AbortSignal,
): Promise<void> {
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: request.bucketName,
        Key: request.destinationKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal },
    );
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'NoSuchUpload') throw error;
    if (await destinationIs(s3, request, bytes, multipartETag(parts), abortSignal)) return;
    throw error;
  }
}

async function destinationIs(
  s3: S3Client,
  request: CopyRequest,
  bytes: number,
  eTag: string,
  abortSignal?: AbortSignal,
): Promise<boolean> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: request.bucketName, Key: request.destinationKey }), {
      abortSignal,
    });
    return head.ContentLength === bytes && head.ETag === eTag;
  } catch {
    // Missing, or not readable: the copy is not known to be done, and the NoSuchUpload it answers stays transient.
    return false;
  }
}
