import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ChunkSink, DocumentSource } from './chunk-document';

/** An S3 error while reading the source: the processor sorts these into permanent (FAILED) and transient. */
export class SourceReadError extends Error {
  override readonly name = 'SourceReadError';
  constructor(override readonly cause: unknown) {
    super(`reading the source failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

type Body = AsyncIterable<Uint8Array> & { destroy?: () => void };

/**
 * The document in S3, from a GetObject already answered. The first read streams that response; a second (plain
 * text is read twice) asks again with If-Match on its ETag, so a file replaced in between fails the read
 * (PreconditionFailed: transient) instead of mixing two versions.
 */
export function s3DocumentSource(
  s3: S3Client,
  location: { readonly bucketName: string; readonly key: string },
  first: GetObjectCommandOutput,
  abortSignal?: AbortSignal,
): DocumentSource {
  let reads = 0;
  return {
    key: location.key,
    bytes: first.ContentLength ?? 0,
    async *open() {
      let response = first;
      if (reads++ > 0) {
        try {
          response = await s3.send(new GetObjectCommand({ Bucket: location.bucketName, Key: location.key, IfMatch: first.ETag }), { abortSignal });
        } catch (error) {
          throw new SourceReadError(error);
        }
      }
      const body = response.Body as Body | undefined;
      if (body === undefined) return;
      try {
        for await (const piece of body) yield piece;
      } catch (error) {
        throw new SourceReadError(error);
      } finally {
        body.destroy?.();
      }
    },
  };
}

/** Frees a response body that was never read to its end (a file refused before its bytes were needed). */
export function discardBody(response: GetObjectCommandOutput | undefined): void {
  (response?.Body as Body | undefined)?.destroy?.();
}

/**
 * The `.chunks.jsonl` object, written as the lines come: lib-storage's Upload sends one PutObject for a small
 * file and a multipart upload for a large one, holding a few parts in memory, never the whole file. Nothing is
 * sent before the first line, and `abort` leaves nothing behind.
 */
export class S3LineUpload implements ChunkSink {
  private stream: PassThrough | undefined;
  private upload: Upload | undefined;
  private done: Promise<unknown> | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly target: { readonly bucketName: string; readonly key: string; readonly contentType: string },
    private readonly abortSignal?: AbortSignal,
  ) {}

  async write(line: string): Promise<void> {
    this.abortSignal?.throwIfAborted();
    const stream = this.start();
    if (!stream.write(line)) await Promise.race([once(stream, 'drain'), this.done]);
  }

  /** Every line is written: completes the object. */
  async finish(): Promise<void> {
    this.start().end();
    await this.done;
  }

  /** Stops the upload and removes what it sent (the parts of a multipart upload). */
  async abort(): Promise<void> {
    if (this.upload === undefined) return;
    this.stream?.destroy();
    await this.upload.abort().catch(() => undefined);
    await this.done?.catch(() => undefined);
  }

  private start(): PassThrough {
    if (this.stream !== undefined) return this.stream;
    const stream = new PassThrough();
    this.stream = stream;
    this.upload = new Upload({
      client: this.s3,
      params: { Bucket: this.target.bucketName, Key: this.target.key, Body: stream, ContentType: this.target.contentType },
      leavePartsOnError: false,
      abortController: abortControllerFor(this.abortSignal),
    });
    this.done = this.upload.done();
    // A failed upload is reported by finish(); a write waiting for 'drain' learns it from the race above.
    this.done.catch(() => undefined);
    return stream;
  }
}

/** lib-storage takes an AbortController: one that follows the job's signal. */
function abortControllerFor(signal: AbortSignal | undefined): AbortController | undefined {
  if (signal === undefined) return undefined;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}
