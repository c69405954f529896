/**
 * Sorts an S3 error into permanent (record FAILED: retrying cannot help) or transient (leave the message
 * for redelivery; on the last allowed receive the row is FAILED with the error). Unknown errors are transient:
 * a FAILED row is a promise that retrying is pointless, so only errors known to be final for THIS row earn it.
 * Errors about the worker itself (its credentials, its clock, the account, the pipeline bucket) are transient.
 */
export type Classification = { readonly permanent: true; readonly reason: string } | { readonly permanent: false };

/** S3 error codes that are final for the row (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
const PERMANENT_BY_CODE: Readonly<Record<string, string>> = {
  NoSuchKey: 'source object does not exist',
  /** The name the SDK gives a HeadObject 404, which has no body. */
  NotFound: 'source object does not exist',
  AccessDenied: 'access denied',
  AllAccessDisabled: 'access denied',
  InvalidObjectState: 'source object is archived (restore it first)',
};

const FORBIDDEN = 403;

interface SdkErrorShape {
  readonly name?: unknown;
  /** The `<Code>` of S3's error body; absent when the response had none (HEAD). */
  readonly Code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly clockSkewCorrected?: unknown };
}

export function classifyS3Error(error: unknown): Classification {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = shape.name;
  if (typeof name === 'string' && Object.hasOwn(PERMANENT_BY_CODE, name)) {
    return { permanent: true, reason: PERMANENT_BY_CODE[name] };
  }
  // A HeadObject 403 carries no body, so no code: AccessDenied is by far its likeliest cause. The SDK corrects a
  // skewed clock from the response's Date header and retries on its own, flagging the error when it did: such
  // a 403 is the worker's clock, not the row. A 403 WITH a code not listed above (RequestTimeTooSkewed,
  // SignatureDoesNotMatch, InvalidAccessKeyId, AccountProblem …) describes the worker too: transient.
  const metadata = shape.$metadata;
  if (metadata?.httpStatusCode === FORBIDDEN && shape.Code === undefined && metadata.clockSkewCorrected !== true) {
    return { permanent: true, reason: PERMANENT_BY_CODE.AccessDenied };
  }
  // Every other 404 (NoSuchBucket: the pipeline itself is broken; NoSuchUpload: the multipart upload was aborted
  // or completed) says nothing about the source object.
  return { permanent: false };
}
