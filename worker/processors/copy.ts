import type { S3Client } from '@aws-sdk/client-s3';
import { ProcessorType } from '../../contracts';
import { failed, type Processor, type ProcessorContext, type ProcessorOutcome, type ProcessorRequest } from './processor';
import { copyObject } from './s3-copy';
import { classifyS3Error } from './s3-failures';

export interface CopyProcessorDependencies {
  readonly s3: S3Client;
  /** Objects larger than this are copied with multipart UploadPartCopy. */
  readonly multipartThresholdBytes: number;
}

/**
 * `copy`, the built-in default: `data/input/<rest>` copied inside S3 to `data/output/<rest>` (no byte passes
 * through the instance), keeping metadata, tags and SSE-KMS. A source that is missing, forbidden or archived
 * fails the row; every other error is transient.
 */
export function copyProcessor(name: string, deps: CopyProcessorDependencies): Processor {
  return {
    name,
    type: ProcessorType.copy,
    async process(request: ProcessorRequest, { abortSignal, logger }: ProcessorContext): Promise<ProcessorOutcome> {
      let copied;
      try {
        copied = await copyObject(
          deps.s3,
          {
            bucketName: request.bucketName,
            sourceKey: request.sourceKey,
            destinationKey: request.outputKey,
            multipartThresholdBytes: deps.multipartThresholdBytes,
          },
          { abortSignal, logger },
        );
      } catch (error) {
        const classification = classifyS3Error(error);
        if (!classification.permanent) throw error;
        return failed(`${classification.reason}: s3://${request.bucketName}/${request.sourceKey}`);
      }
      return {
        kind: 'finished',
        output: { locationKey: request.outputKey, keys: [request.outputKey] },
        inputBytes: copied.bytes,
        details: { multipart: copied.multipart, parts: copied.parts },
      };
    },
  };
}
