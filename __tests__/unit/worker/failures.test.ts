import { classifyCopyError } from '../../../worker/failures';

const sdkError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

describe('classifyCopyError', () => {
  it.each([
    {
      case: 'NoSuchKey',
      error: sdkError('NoSuchKey', 404),
      expected: { permanent: true, reason: 'source object does not exist' },
    },
    {
      case: 'HeadObject 404',
      error: sdkError('NotFound', 404),
      expected: { permanent: true, reason: 'source object does not exist' },
    },
    { case: 'AccessDenied', error: sdkError('AccessDenied', 403), expected: { permanent: true, reason: 'access denied' } },
    { case: 'an unnamed 403', error: sdkError('Forbidden', 403), expected: { permanent: true, reason: 'access denied' } },
    {
      case: 'an archived object',
      error: sdkError('InvalidObjectState', 403),
      expected: { permanent: true, reason: 'source object is archived (restore it first)' },
    },
    { case: 'a missing pipeline bucket', error: sdkError('NoSuchBucket', 404), expected: { permanent: false } },
    { case: 'throttling', error: sdkError('SlowDown', 503), expected: { permanent: false } },
    { case: 'a 500', error: sdkError('InternalError', 500), expected: { permanent: false } },
    { case: 'a changed source', error: sdkError('PreconditionFailed', 412), expected: { permanent: false } },
    { case: 'a timeout', error: sdkError('TimeoutError'), expected: { permanent: false } },
    { case: 'an abort', error: sdkError('AbortError'), expected: { permanent: false } },
    { case: 'something that is not an error', error: 'boom', expected: { permanent: false } },
  ])('$case → permanent: $expected.permanent', ({ error, expected }) => {
    expect(classifyCopyError(error)).toEqual(expected);
  });
});
