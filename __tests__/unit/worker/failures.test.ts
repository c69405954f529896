import { classifyS3Error } from '../../../worker/processors/s3-failures';

/** An S3 error as the SDK throws it: `Code` is the error body's code (HEAD responses have no body, so none). */
const sdkError = (name: string, httpStatusCode?: number, metadata: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode, ...metadata } });
const bodylessError = (httpStatusCode: number, metadata: Record<string, unknown> = {}) =>
  Object.assign(new Error('UnknownError'), { name: 'Unknown', $metadata: { httpStatusCode, ...metadata } });

describe('classifyS3Error', () => {
  it.each([
    {
      case: 'NoSuchKey',
      error: sdkError('NoSuchKey', 404),
      expected: { permanent: true, reason: 'source object does not exist' },
    },
    {
      case: 'HeadObject 404',
      error: Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
      expected: { permanent: true, reason: 'source object does not exist' },
    },
    { case: 'AccessDenied', error: sdkError('AccessDenied', 403), expected: { permanent: true, reason: 'access denied' } },
    {
      case: 'a HeadObject 403 (no body, so no code)',
      error: bodylessError(403),
      expected: { permanent: true, reason: 'access denied' },
    },
    {
      case: 'an archived object',
      error: sdkError('InvalidObjectState', 403),
      expected: { permanent: true, reason: 'source object is archived (restore it first)' },
    },
    // 403s with a code that describes the worker, not the row.
    { case: 'RequestTimeTooSkewed (a 403)', error: sdkError('RequestTimeTooSkewed', 403), expected: { permanent: false } },
    {
      case: 'a HeadObject 403 the SDK found to be clock skew',
      error: bodylessError(403, { clockSkewCorrected: true }),
      expected: { permanent: false },
    },
    { case: 'SignatureDoesNotMatch (a 403)', error: sdkError('SignatureDoesNotMatch', 403), expected: { permanent: false } },
    { case: 'InvalidAccessKeyId (a 403)', error: sdkError('InvalidAccessKeyId', 403), expected: { permanent: false } },
    { case: 'AccountProblem (a 403)', error: sdkError('AccountProblem', 403), expected: { permanent: false } },
    { case: 'ExpiredToken (a 400)', error: sdkError('ExpiredToken', 400), expected: { permanent: false } },
    // 404s that say nothing about the source object.
    { case: 'NoSuchUpload (aborted or completed upload)', error: sdkError('NoSuchUpload', 404), expected: { permanent: false } },
    { case: 'a missing pipeline bucket', error: sdkError('NoSuchBucket', 404), expected: { permanent: false } },
    { case: 'throttling', error: sdkError('SlowDown', 503), expected: { permanent: false } },
    { case: 'a 500', error: sdkError('InternalError', 500), expected: { permanent: false } },
    { case: 'a changed source', error: sdkError('PreconditionFailed', 412), expected: { permanent: false } },
    { case: 'a timeout', error: sdkError('TimeoutError'), expected: { permanent: false } },
    { case: 'an abort', error: sdkError('AbortError'), expected: { permanent: false } },
    { case: 'something that is not an error', error: 'boom', expected: { permanent: false } },
    { case: 'an error named like an Object method', error: sdkError('toString', 400), expected: { permanent: false } },
  ])('$case → permanent: $expected.permanent', ({ error, expected }) => {
    expect(classifyS3Error(error)).toEqual(expected);
  });
});
