import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { COPY_ONLY_CATALOG, PROCESSOR_CATALOG_KEY, type ProcessorCatalog } from '../../contracts';
import { resolveCatalog } from '../../runtime/processors/catalog';
import { isNotFound } from './s3-errors';

/**
 * The deployment's processors, as the workers read them: the catalog in the bucket, or, when the stack uploaded
 * none (only `copy` is configured), `copy` alone.
 */
export async function readDeployedCatalog(s3: S3Client, bucketName: string): Promise<ProcessorCatalog> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: PROCESSOR_CATALOG_KEY }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (isNotFound(error)) return COPY_ONLY_CATALOG;
    throw error;
  }
  return resolveCatalog(JSON.parse(text));
}
