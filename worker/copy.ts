import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MIN_PART_BYTES } from './config';

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

export interface CopyResult {
  readonly bytes: number;
  readonly multipart: boolean;
  readonly parts: number;
}

/**
 * Copies one object inside S3 (no bytes pass through the instance), keeping its content type, the other
 * standard headers and its user metadata. Every request names the source's ETag, so a source replaced
 * mid-copy fails the copy (PreconditionFailed: retried later) instead of mixing two versions.
 */
export async function copyObject(s3: S3Client, request: CopyRequest, abortSignal?: AbortSignal): Promise<CopyResult> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: request.bucketName, Key: request.sourceKey }), { abortSignal });
  const bytes = head.ContentLength ?? 0;
  if (bytes <= request.multipartThresholdBytes) {
    await s3.send(
      new CopyObjectCommand({
        Bucket: request.bucketName,
        Key: request.destinationKey,
        CopySource: copySource(request.bucketName, request.sourceKey),
        CopySourceIfMatch: head.ETag,
        // COPY keeps ContentType, the other standard headers and user metadata as they are on the source.
        MetadataDirective: 'COPY',
      }),
      { abortSignal },
    );
    return { bytes, multipart: false, parts: 1 };
  }
  const parts = await copyInParts(s3, request, head, bytes, abortSignal);
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

async function copyInParts(
  s3: S3Client,
  request: CopyRequest,
  head: HeadObjectCommandOutput,
  bytes: number,
  abortSignal?: AbortSignal,
): Promise<number> {
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
    }),
    { abortSignal },
  );
  if (uploadId === undefined) throw new Error(`CreateMultipartUpload returned no UploadId for ${request.destinationKey}`);
  try {
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
        let result;
        try {
          result = await s3.send(
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
        } catch (error) {
          failed = true;
          throw error;
        }
        completed[range.partNumber - 1] = { PartNumber: range.partNumber, ETag: result.CopyPartResult?.ETag };
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, ranges.length) }, copyNextParts));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: request.bucketName,
        Key: request.destinationKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
      { abortSignal },
    );
    return ranges.length;
  } catch (error) {
    // Not under the job's signal: an aborted job must still not leave billable parts behind.
    try {
      await s3.send(
        new AbortMultipartUploadCommand({ Bucket: request.bucketName, Key: request.destinationKey, UploadId: uploadId }),
      );
    } catch {
      // The copy's own error is the one to report; the bucket's lifecycle rule removes what is left.
    }
    throw error;
  }
}
