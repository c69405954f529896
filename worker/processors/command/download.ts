import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyS3Error } from '../s3-failures';
import type { ScratchFit } from './scratch';

export type Download =
  | { readonly kind: 'downloaded'; readonly bytes: number }
  /** The input can never be processed here: FAILED with the reason. */
  | { readonly kind: 'refused'; readonly reason: string };

/** The scratch space is held by this worker's other jobs: the message comes back later. */
export class ScratchBusyError extends Error {
  override readonly name = 'ScratchBusyError';
}

/** The object arrived shorter or longer than S3 announced (a dropped connection): transient. */
export class TruncatedDownloadError extends Error {
  override readonly name = 'TruncatedDownloadError';
}

export interface DownloadTarget {
  readonly bucketName: string;
  readonly key: string;
  /** The file to create (it must not exist). */
  readonly file: string;
  /** Asked once the size is known, before a byte is written. */
  readonly claim: (bytes: number) => Promise<ScratchFit>;
}

/**
 * Streams `s3://bucket/key` into a new file, never holding more than a stream's buffers in memory. The size S3
 * announces is claimed from the scratch space first: an input larger than the space could ever give is refused
 * (FAILED), one that only this worker's other jobs crowd out throws ScratchBusyError. A missing, forbidden or
 * archived object is refused with the same reasons as `copy`; any other S3 error is thrown (transient).
 */
export async function downloadInput(s3: S3Client, target: DownloadTarget, abortSignal?: AbortSignal): Promise<Download> {
  let body: Readable;
  let announced: number;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: target.bucketName, Key: target.key }), { abortSignal });
    body = object.Body as Readable;
    announced = object.ContentLength ?? 0;
  } catch (error) {
    const classification = classifyS3Error(error);
    if (!classification.permanent) throw error;
    return { kind: 'refused', reason: `${classification.reason}: s3://${target.bucketName}/${target.key}` };
  }
  let fit: ScratchFit;
  try {
    fit = await target.claim(announced);
  } catch (error) {
    body.destroy();
    throw error;
  }
  if (fit.kind !== 'fits') {
    body.destroy();
    if (fit.kind === 'busy') {
      throw new ScratchBusyError(`the input's ${formatBytes(announced)} do not fit in the ${formatBytes(fit.availableBytes)} of scratch space this worker's other jobs leave free`);
    }
    return {
      kind: 'refused',
      reason: `the input (${formatBytes(announced)}) is larger than the worker's free scratch space (${formatBytes(fit.capacityBytes)})`,
    };
  }
  await pipeline(body, createWriteStream(target.file, { flags: 'wx', mode: 0o600 }), { signal: abortSignal });
  const written = (await stat(target.file)).size;
  if (written !== announced) throw new TruncatedDownloadError(`s3://${target.bucketName}/${target.key}: received ${written} of ${announced} bytes`);
  return { kind: 'downloaded', bytes: written };
}

/** `1.5 GiB`, `12 KiB`, `512 B`: sizes in reasons. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
