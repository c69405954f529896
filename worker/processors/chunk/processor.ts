import { GetObjectCommand, PutObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { CHUNK_COUNT_ATTRIBUTE, chunkOutputKeys, ProcessorType, type ChunkProcessorSpec } from '../../../contracts';
import { MAX_KEY_BYTES } from '../../../runtime/item-paths';
import { failed, type Processor, type ProcessorContext, type ProcessorOutcome, type ProcessorRequest } from '../processor';
import { classifyS3Error } from '../s3-failures';
import { chunkDocument } from './chunk-document';
import { BadDocumentError } from './failures';
import { manifestJson } from './records';
import { discardBody, S3LineUpload, s3DocumentSource, SourceReadError } from './s3-effects';

export interface ChunkProcessorDependencies {
  readonly s3: S3Client;
}

/**
 * `chunk`: reads `data/input/<rest>` from S3 as a stream, writes `data/output/<rest>.chunks.jsonl` (one chunk per
 * line) and then `data/output/<rest>.chunks.manifest.json`, and records the chunk count on the row. A document
 * that can never be chunked (docs/processors.md lists them) fails the row with the reason, having written
 * nothing; an S3 error reading a source that is missing, forbidden or archived fails it too; every other error
 * is transient.
 */
export function chunkProcessor(name: string, spec: ChunkProcessorSpec, deps: ChunkProcessorDependencies): Processor {
  const settings = { maxTokens: spec.maxTokens, overlapTokens: spec.overlapTokens, encoding: spec.encoding, maxInputBytes: spec.maxInputBytes };
  return {
    name,
    type: ProcessorType.chunk,
    async process(request: ProcessorRequest, { abortSignal }: ProcessorContext): Promise<ProcessorOutcome> {
      const keys = chunkOutputKeys(request.outputKey);
      const keyBytes = Buffer.byteLength(keys.manifest, 'utf8');
      if (keyBytes > MAX_KEY_BYTES) return failed(`the chunk manifest's key would be ${keyBytes} bytes, S3 allows ${MAX_KEY_BYTES}`);
      const location = { bucketName: request.bucketName, key: request.sourceKey };
      let object: GetObjectCommandOutput | undefined;
      const upload = new S3LineUpload(deps.s3, { bucketName: request.bucketName, key: keys.chunks, contentType: 'application/x-ndjson' }, abortSignal);
      try {
        object = await deps.s3.send(new GetObjectCommand({ Bucket: location.bucketName, Key: location.key }), { abortSignal });
        const manifest = await chunkDocument(s3DocumentSource(deps.s3, location, object, abortSignal), settings, keys.chunks, upload, abortSignal);
        await upload.finish();
        await deps.s3.send(
          new PutObjectCommand({ Bucket: request.bucketName, Key: keys.manifest, Body: manifestJson(manifest), ContentType: 'application/json' }),
          { abortSignal },
        );
        return {
          kind: 'finished',
          output: { locationKey: keys.chunks, keys: [keys.chunks, keys.manifest], attributes: { [CHUNK_COUNT_ATTRIBUTE]: manifest.chunk_count } },
          inputBytes: manifest.source_bytes,
          details: { format: manifest.format, chunk_count: manifest.chunk_count, token_total: manifest.token_total },
        };
      } catch (error) {
        await upload.abort();
        if (error instanceof BadDocumentError) return failed(error.reason);
        const readError = object === undefined ? error : error instanceof SourceReadError ? error.cause : undefined;
        if (readError !== undefined) {
          const classification = classifyS3Error(readError);
          if (classification.permanent) return failed(`${classification.reason}: s3://${request.bucketName}/${request.sourceKey}`);
        }
        throw error;
      } finally {
        discardBody(object);
      }
    },
  };
}

