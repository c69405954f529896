/**
 * Sorts an S3 error into permanent (record FAILED: retrying cannot help) or transient (leave the message
 * for redelivery; the DLQ takes it after maxReceiveCount). Unknown errors are transient: a FAILED row is
 * a promise that retrying is pointless, so only errors known to be final earn it.
 */
export type Classification = { readonly permanent: true; readonly reason: string } | { readonly permanent: false };

const PERMANENT_BY_NAME: Readonly<Record<string, string>> = {
  NoSuchKey: 'source object does not exist',
  NotFound: 'source object does not exist',
  AccessDenied: 'access denied',
  AllAccessDisabled: 'access denied',
  InvalidObjectState: 'source object is archived (restore it first)',
};

const PERMANENT_BY_STATUS: Readonly<Record<number, string>> = {
  403: 'access denied',
  404: 'source object does not exist',
};

export function classifyCopyError(error: unknown): Classification {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (typeof name === 'string' && name in PERMANENT_BY_NAME) {
    return { permanent: true, reason: PERMANENT_BY_NAME[name] };
  }
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  // NoSuchBucket is a 404 too, but it means the pipeline itself is broken, not the row: leave it for the DLQ.
  if (typeof status === 'number' && status in PERMANENT_BY_STATUS && name !== 'NoSuchBucket') {
    return { permanent: true, reason: PERMANENT_BY_STATUS[status] };
  }
  return { permanent: false };
}
