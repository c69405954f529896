import { AbortMultipartUploadCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../describe-error';

/**
 * Aborts before giving up at most this many times. S3: "if any part uploads are currently in progress, those
 * part uploads might or might not succeed. As a result, it might be necessary to abort a given multipart upload
 * multiple times in order to completely free all storage consumed by all parts. To verify that all parts have
 * been removed and prevent getting charged for the part storage, you should call the ListParts API operation
 * and ensure that the parts list is empty."
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html)
 */
export const MAX_ABORT_ATTEMPTS = 3;
/** Pause before aborting again, to let a part copy that was still running server-side land first. */
export const ABORT_RETRY_DELAY_MS = 1_000;

export interface UploadToAbandon {
  readonly bucketName: string;
  readonly key: string;
  readonly uploadId: string;
}

export type CleanupOutcome =
  | { readonly removed: true; readonly attempts: number }
  /** Parts may remain; the bucket's AbortIncompleteMultipartUpload lifecycle rule removes them later. */
  | { readonly removed: false; readonly attempts: number; readonly reason: string };

/**
 * Aborts a multipart upload and checks with ListParts that nothing is left, aborting again (up to
 * MAX_ABORT_ATTEMPTS) while parts are still listed. Never throws and carries no abort signal: a job being
 * stopped must still not leave billable parts behind.
 */
export async function abandonUpload(s3: S3Client, upload: UploadToAbandon): Promise<CleanupOutcome> {
  const target = { Bucket: upload.bucketName, Key: upload.key, UploadId: upload.uploadId };
  for (let attempt = 1; ; attempt++) {
    try {
      await s3.send(new AbortMultipartUploadCommand(target));
    } catch (error) {
      // NoSuchUpload: aborted already (or completed); ListParts says which parts, if any, are left.
      if (errorName(error) !== 'NoSuchUpload') return { removed: false, attempts: attempt, reason: `abort failed: ${describeError(error)}` };
    }
    let partsLeft: number;
    try {
      partsLeft = (await s3.send(new ListPartsCommand({ ...target, MaxParts: 1 }))).Parts?.length ?? 0;
    } catch (error) {
      if (errorName(error) === 'NoSuchUpload') return { removed: true, attempts: attempt };
      return { removed: false, attempts: attempt, reason: `parts not verified: ${describeError(error)}` };
    }
    if (partsLeft === 0) return { removed: true, attempts: attempt };
    if (attempt >= MAX_ABORT_ATTEMPTS) {
      return { removed: false, attempts: attempt, reason: `parts still listed after ${attempt} aborts` };
    }
    await new Promise((resolve) => setTimeout(resolve, ABORT_RETRY_DELAY_MS));
  }
}

function errorName(error: unknown): unknown {
  return (error as { name?: unknown } | undefined)?.name;
}

