import { UsageError } from '../../../ops/errors';
import { planSubmission } from '../../../ops/submit-plan';

const BUCKET = 'pipeline-bucket';

describe('planSubmission', () => {
  it('uploads local files under data/input/<prefix><file name> and keeps s3 paths as they are', () => {
    const targets = planSubmission(['./docs/a.pdf', '/tmp/b c.txt', `s3://${BUCKET}/data/input/x/y.csv`], {
      bucketName: BUCKET,
      keyPrefix: 'batch/',
    });
    expect(targets).toEqual([
      { source: './docs/a.pdf', localFile: './docs/a.pdf', key: 'data/input/batch/a.pdf', s3Path: `s3://${BUCKET}/data/input/batch/a.pdf` },
      { source: '/tmp/b c.txt', localFile: '/tmp/b c.txt', key: 'data/input/batch/b c.txt', s3Path: `s3://${BUCKET}/data/input/batch/b c.txt` },
      { source: `s3://${BUCKET}/data/input/x/y.csv`, key: 'data/input/x/y.csv', s3Path: `s3://${BUCKET}/data/input/x/y.csv` },
    ]);
  });

  it.each([
    { case: 'outside data/input/', arg: `s3://${BUCKET}/data/output/a.txt`, reason: `must be under s3://${BUCKET}/data/input/` },
    { case: 'in another bucket', arg: 's3://elsewhere/data/input/a.txt', reason: `must be in bucket ‘${BUCKET}’` },
    { case: 'a ".." segment', arg: `s3://${BUCKET}/data/input/../secret`, reason: 'has a ‘..’ segment' },
    { case: 'the prefix itself', arg: `s3://${BUCKET}/data/input/`, reason: 'names no file under data/input/' },
  ])('refuses an s3 path $case, naming it', ({ arg, reason }) => {
    expect(() => planSubmission([arg], { bucketName: BUCKET, keyPrefix: '' })).toThrow(UsageError);
    expect(() => planSubmission([arg], { bucketName: BUCKET, keyPrefix: '' })).toThrow(`${arg}: `);
    expect(() => planSubmission([arg], { bucketName: BUCKET, keyPrefix: '' })).toThrow(reason);
  });

  it('lists every bad argument at once, so a fixed command line works the first time', () => {
    const bad = ['s3://elsewhere/data/input/a', `s3://${BUCKET}/logs/x`];
    expect(() => planSubmission(['ok.txt', ...bad], { bucketName: BUCKET, keyPrefix: '' })).toThrow(
      /^nothing submitted:\n {2}s3:\/\/elsewhere\/data\/input\/a: .*\n {2}s3:\/\/pipeline-bucket\/logs\/x: .*$/,
    );
  });

  it('refuses two arguments that name the same object', () => {
    expect(() => planSubmission(['one/a.txt', 'two/a.txt'], { bucketName: BUCKET, keyPrefix: '' })).toThrow(
      `one/a.txt and two/a.txt both name s3://${BUCKET}/data/input/a.txt`,
    );
  });
});
