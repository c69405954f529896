import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { COPY_ONLY_CATALOG, type ProcessorCatalog } from '../../contracts';
import { resolveCatalog } from '../../runtime/processors/catalog';

export interface CatalogLocation {
  readonly bucketName: string;
  /** undefined: the deployment configures only `copy`, and there is no catalog to read. */
  readonly key: string | undefined;
}

/** The catalog is not usable: unreadable JSON, or settings the synth would refuse. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
}

/**
 * Reads the deployment's processor catalog from the bucket and checks it with the synth's own rules
 * (runtime/processors/catalog.ts). AWS errors are thrown as they are (the SDK has retried them).
 */
export async function readCatalog(s3: S3Client, location: CatalogLocation, abortSignal?: AbortSignal): Promise<ProcessorCatalog> {
  if (location.key === undefined) return COPY_ONLY_CATALOG;
  const object = await s3.send(new GetObjectCommand({ Bucket: location.bucketName, Key: location.key }), { abortSignal });
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CatalogError(`s3://${location.bucketName}/${location.key} is not JSON: ${(error as Error).message}`);
  }
  try {
    return resolveCatalog(parsed);
  } catch (error) {
    throw new CatalogError(`s3://${location.bucketName}/${location.key}: ${(error as Error).message}`);
  }
}
