import { INPUT_PREFIX, OUTPUT_PREFIX } from '../../../contracts';
import { MAX_KEY_BYTES, planItemPaths, s3Url } from '../../../runtime/item-paths';

const BUCKET = 'pipeline-bucket';

describe('planItemPaths', () => {
  it.each([
    { case: 'a file at the top of the input prefix', rest: 'file.txt' },
    { case: 'nested folders', rest: 'client_1/2026/11/test_file_1.txt' },
    { case: 'spaces', rest: 'client 1/my file.txt' },
    { case: 'plus signs', rest: 'a+b/c+d.txt' },
    { case: 'percent signs', rest: '100%/50%25.txt' },
    { case: 'unicode', rest: 'résumé/日本語/🚀.txt' },
    { case: 'query and fragment characters', rest: 'what?x=1#y.txt' },
    { case: 'dots inside a segment', rest: '...hidden/..a/b..' },
    { case: 'an output key of exactly 1024 bytes', rest: 'x'.repeat(MAX_KEY_BYTES - OUTPUT_PREFIX.length) },
  ])('maps $case to data/output/ in the same bucket', ({ rest }) => {
    const check = planItemPaths(`s3://${BUCKET}/${INPUT_PREFIX}${rest}`, BUCKET);

    expect(check).toEqual({
      ok: true,
      paths: { sourceKey: `${INPUT_PREFIX}${rest}`, rest, outputKey: `${OUTPUT_PREFIX}${rest}` },
    });
  });

  it.each([
    { case: 'an empty path', path: '', reason: 's3_path must start with s3://, got ‘’' },
    { case: 'a non-S3 URL', path: 'https://pipeline-bucket/data/input/a.txt', reason: 's3_path must start with s3://' },
    { case: 'an upper-case scheme', path: 'S3://pipeline-bucket/data/input/a.txt', reason: 's3_path must start with s3://' },
    {
      case: 'another bucket',
      path: 's3://other-bucket/data/input/a.txt',
      reason: 'must be in bucket ‘pipeline-bucket’, got bucket ‘other-bucket’',
    },
    { case: 'a bucket name prefix', path: 's3://pipeline-bucket-2/data/input/a.txt', reason: 'got bucket ‘pipeline-bucket-2’' },
    { case: 'no key at all', path: 's3://pipeline-bucket', reason: 'must be under s3://pipeline-bucket/data/input/' },
    {
      case: 'the output prefix',
      path: 's3://pipeline-bucket/data/output/a.txt',
      reason: 'must be under s3://pipeline-bucket/data/input/',
    },
    { case: 'a lookalike prefix', path: 's3://pipeline-bucket/data/inputs/a.txt', reason: 'must be under' },
    { case: 'a leading slash', path: 's3://pipeline-bucket//data/input/a.txt', reason: 'must be under' },
    { case: 'an empty rest', path: 's3://pipeline-bucket/data/input/', reason: 'names no file under data/input/' },
    { case: 'a "." segment', path: 's3://pipeline-bucket/data/input/./a.txt', reason: 'has a ‘.’ segment' },
    { case: 'a ".." segment', path: 's3://pipeline-bucket/data/input/../output/a.txt', reason: 'has a ‘..’ segment' },
    { case: 'a trailing ".."', path: 's3://pipeline-bucket/data/input/a/..', reason: 'has a ‘..’ segment' },
    { case: 'an empty segment', path: 's3://pipeline-bucket/data/input/a//b.txt', reason: 'has an empty path segment' },
    { case: 'a folder marker', path: 's3://pipeline-bucket/data/input/folder/', reason: 'has an empty path segment' },
    {
      case: 'an output key over 1024 bytes',
      path: `s3://pipeline-bucket/data/input/${'x'.repeat(MAX_KEY_BYTES - OUTPUT_PREFIX.length + 1)}`,
      reason: 'output key would be 1025 bytes, S3 allows 1024',
    },
    {
      case: 'multi-byte characters over 1024 bytes',
      path: `s3://pipeline-bucket/data/input/${'é'.repeat(507)}`,
      reason: 'output key would be 1026 bytes',
    },
  ])('refuses $case with a reason naming the value', ({ path, reason }) => {
    const check = planItemPaths(path, BUCKET);

    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  it('keeps reasons short when the path is long', () => {
    const check = planItemPaths(`s3://other/${'y'.repeat(5000)}`, BUCKET);

    expect(check.ok ? '' : check.reason.length).toBeLessThan(300);
  });
});

describe('s3Url', () => {
  it('names a key in the bucket the way rows and events do', () => {
    expect(s3Url(BUCKET, `${OUTPUT_PREFIX}a b/c.txt`)).toBe(`s3://${BUCKET}/${OUTPUT_PREFIX}a b/c.txt`);
  });
});
