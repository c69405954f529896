import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCopyCommand,
  type UploadPartCopyCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { copyObject, copySource, multipartETag, partSizeFor, taggingOf } from '../../../worker/processors/s3-copy';
import { recordingLogger } from '../../support/worker-logger';

const MIB = 1024 * 1024;
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const request = {
  bucketName: 'bucket',
  sourceKey: 'data/input/a b/file.bin',
  destinationKey: 'data/output/a b/file.bin',
  multipartThresholdBytes: 5 * MIB,
};

const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
const s3Error = (name: string, httpStatusCode: number) =>
  Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode } });

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
  s3Mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
});

/** A 12 MiB source (three 5 MiB-threshold parts) with an upload that is created fine. */
function multipartSource(head: Record<string, unknown> = {}): void {
  s3Mock.on(HeadObjectCommand, { Key: request.sourceKey }).resolves({ ContentLength: 12 * MIB, ETag: '"etag-src"', ...head });
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
}
const partResult = (input: { PartNumber?: number }): UploadPartCopyCommandOutput => ({
  CopyPartResult: { ETag: `"${String(input.PartNumber).repeat(32)}"` },
  $metadata: {},
});

describe('copySource', () => {
  it.each([
    { case: 'a plain key', key: 'data/input/a.txt', expected: 'b/data/input/a.txt' },
    { case: 'spaces', key: 'data/input/my file.txt', expected: 'b/data/input/my%20file.txt' },
    { case: 'plus signs', key: 'data/input/a+b.txt', expected: 'b/data/input/a%2Bb.txt' },
    { case: 'percent signs', key: 'data/input/100%.txt', expected: 'b/data/input/100%25.txt' },
    { case: 'unicode', key: 'data/input/résumé 🚀.txt', expected: 'b/data/input/r%C3%A9sum%C3%A9%20%F0%9F%9A%80.txt' },
    { case: 'query and fragment characters', key: 'data/input/a?b=1#c&d.txt', expected: 'b/data/input/a%3Fb%3D1%23c%26d.txt' },
  ])('encodes $case per segment, keeping the slashes', ({ key, expected }) => {
    expect(copySource('b', key)).toBe(expected);
  });
});

describe('partSizeFor', () => {
  it.each([
    { case: 'a 5 MiB threshold', bytes: 12 * MIB, threshold: 5 * MIB, expected: 5 * MIB },
    { case: 'the default 5 GiB threshold', bytes: 6 * 1024 * MIB, threshold: 5 * 1024 * MIB, expected: 512 * MIB },
    {
      case: 'an object too large for 10,000 parts of 512 MiB',
      bytes: 5 * 1024 * 1024 * MIB,
      threshold: 5 * 1024 * MIB,
      expected: Math.ceil((5 * 1024 * 1024 * MIB) / 10_000),
    },
  ])('uses $expected bytes for $case', ({ bytes, threshold, expected }) => {
    expect(partSizeFor(bytes, threshold)).toBe(expected);
  });
});

describe('taggingOf', () => {
  it('writes a tag set in the URL query form x-amz-tagging wants', () => {
    expect(taggingOf([{ Key: 'team', Value: 'a b' }, { Key: 'k&=', Value: '100%' }])).toBe('team=a%20b&k%26%3D=100%25');
  });

  it('sends no tagging for no tags', () => {
    expect(taggingOf([])).toBeUndefined();
    expect(taggingOf(undefined)).toBeUndefined();
  });
});

describe('multipartETag', () => {
  it('is the MD5 of the parts\' binary MD5s with the part count: the ETag S3 (and moto) gave this very upload', () => {
    const parts = [
      { PartNumber: 1, ETag: '"242c0407347ba6c65f5b476da66df47c"' },
      { PartNumber: 2, ETag: '"242c0407347ba6c65f5b476da66df47c"' },
      { PartNumber: 3, ETag: '"02be6fa5865787ef074eefff70bacd33"' },
    ];

    expect(multipartETag(parts)).toBe('"1894e60ecdffd6548584a244af6ba84b-3"');
  });
});

describe('copyObject', () => {
  it('copies an object up to the threshold with one CopyObject that keeps metadata and pins the ETag', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 5 * MIB, ETag: '"etag-1"', ContentType: 'text/csv' });
    s3Mock.on(CopyObjectCommand).resolves({});

    const result = await copyObject(s3, request);

    expect(result).toEqual({ bytes: 5 * MIB, multipart: false, parts: 1 });
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'bucket', Key: 'data/input/a b/file.bin' });
    expect(s3Mock).toHaveReceivedCommandWith(CopyObjectCommand, {
      Bucket: 'bucket',
      Key: 'data/output/a b/file.bin',
      CopySource: 'bucket/data/input/a%20b/file.bin',
      CopySourceIfMatch: '"etag-1"',
      MetadataDirective: 'COPY',
    });
    expect(s3Mock).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
    expect(s3Mock.commandCalls(CopyObjectCommand)[0].args[0].input).not.toHaveProperty('ServerSideEncryption');
  });

  it.each([
    { case: 'SSE-KMS', algorithm: 'aws:kms' as const },
    { case: 'DSSE-KMS', algorithm: 'aws:kms:dsse' as const },
  ])('asks a single copy of an $case source for the same key (the bucket default would make it SSE-S3)', async ({ algorithm }) => {
    s3Mock.on(HeadObjectCommand).resolves({
      ContentLength: 10,
      ETag: '"etag-k"',
      ServerSideEncryption: algorithm,
      SSEKMSKeyId: KMS_KEY,
      BucketKeyEnabled: true,
    });
    s3Mock.on(CopyObjectCommand).resolves({});

    await copyObject(s3, request);

    expect(s3Mock).toHaveReceivedCommandWith(CopyObjectCommand, {
      ServerSideEncryption: algorithm,
      SSEKMSKeyId: KMS_KEY,
      BucketKeyEnabled: true,
    });
  });

  it('leaves an SSE-S3 source to the bucket default encryption', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 10, ETag: '"e"', ServerSideEncryption: 'AES256' });
    s3Mock.on(CopyObjectCommand).resolves({});

    await copyObject(s3, request);

    const input = s3Mock.commandCalls(CopyObjectCommand)[0].args[0].input;
    expect(input.ServerSideEncryption).toBeUndefined();
    expect(input.SSEKMSKeyId).toBeUndefined();
  });

  it('gives a multipart copy the source\'s tags and SSE-KMS key, which CreateMultipartUpload would not keep by itself', async () => {
    multipartSource({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY });
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'data science' }, { Key: 'tier', Value: '1' }] });
    s3Mock.on(UploadPartCopyCommand).callsFake(partResult);
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});

    await copyObject(s3, request);

    expect(s3Mock).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: 'bucket', Key: request.sourceKey });
    expect(s3Mock).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Tagging: 'team=data%20science&tier=1',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
    });
  });

  it('copies a larger object in ranged parts, carrying content type and metadata to the new upload', async () => {
    s3Mock.on(HeadObjectCommand).resolves({
      ContentLength: 12 * MIB,
      ETag: '"etag-2"',
      ContentType: 'application/pdf',
      Metadata: { owner: 'client-1' },
    });
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3Mock
      .on(UploadPartCopyCommand)
      .callsFake((input: { PartNumber: number }) => ({ CopyPartResult: { ETag: `"part-${input.PartNumber}"` } }));
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});

    const result = await copyObject(s3, request);

    expect(result).toEqual({ bytes: 12 * MIB, multipart: true, parts: 3 });
    expect(s3Mock).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Bucket: 'bucket',
      Key: 'data/output/a b/file.bin',
      ContentType: 'application/pdf',
      Metadata: { owner: 'client-1' },
    });
    const ranges = s3Mock
      .commandCalls(UploadPartCopyCommand)
      .map((call) => [call.args[0].input.PartNumber, call.args[0].input.CopySourceRange]);
    expect(ranges.sort()).toEqual([
      [1, `bytes=0-${5 * MIB - 1}`],
      [2, `bytes=${5 * MIB}-${10 * MIB - 1}`],
      [3, `bytes=${10 * MIB}-${12 * MIB - 1}`],
    ]);
    expect(s3Mock).toHaveReceivedCommandWith(UploadPartCopyCommand, {
      CopySource: 'bucket/data/input/a%20b/file.bin',
      CopySourceIfMatch: '"etag-2"',
    });
    expect(s3Mock).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      UploadId: 'upload-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"part-1"' },
          { PartNumber: 2, ETag: '"part-2"' },
          { PartNumber: 3, ETag: '"part-3"' },
        ],
      },
    });
  });

  it('aborts the multipart upload and rethrows when a part fails, once ListParts shows nothing left', async () => {
    multipartSource();
    s3Mock.on(UploadPartCopyCommand).rejects(s3Error('SlowDown', 503));

    await expect(copyObject(s3, request)).rejects.toThrow('SlowDown');

    expect(s3Mock).toHaveReceivedCommandWith(AbortMultipartUploadCommand, {
      Bucket: 'bucket',
      Key: 'data/output/a b/file.bin',
      UploadId: 'upload-1',
    });
    expect(s3Mock).toHaveReceivedCommandTimes(AbortMultipartUploadCommand, 1);
    expect(s3Mock).toHaveReceivedCommandWith(ListPartsCommand, { UploadId: 'upload-1' });
    expect(s3Mock).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('waits for every part still in flight to settle before it aborts', async () => {
    multipartSource();
    let finishPart2: (() => void) | undefined;
    s3Mock.on(UploadPartCopyCommand).callsFake(async (input: { PartNumber: number }) => {
      if (input.PartNumber === 1) throw s3Error('SlowDown', 503);
      if (input.PartNumber === 2) await new Promise<void>((resolve) => (finishPart2 = resolve));
      return partResult(input);
    });

    const copying = copyObject(s3, request);
    const outcome = copying.catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));

    expect(finishPart2).toBeDefined();
    expect(s3Mock).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
    finishPart2!();
    await expect(outcome).resolves.toMatchObject({ name: 'SlowDown' });
    expect(s3Mock).toHaveReceivedCommandTimes(AbortMultipartUploadCommand, 1);
  });

  it('aborts again while ListParts still lists parts (a part copy landed after the abort), then stops', async () => {
    jest.useFakeTimers();
    try {
      multipartSource();
      s3Mock.on(UploadPartCopyCommand).rejects(s3Error('SlowDown', 503));
      s3Mock
        .on(ListPartsCommand)
        .resolvesOnce({ Parts: [{ PartNumber: 2, ETag: '"late"' }] })
        .rejects(s3Error('NoSuchUpload', 404));

      const outcome = copyObject(s3, request).catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(1_000);

      await expect(outcome).resolves.toMatchObject({ name: 'SlowDown' });
      expect(s3Mock).toHaveReceivedCommandTimes(AbortMultipartUploadCommand, 2);
      expect(s3Mock).toHaveReceivedCommandTimes(ListPartsCommand, 2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives up on the clean-up after three aborts, saying parts may be left (the lifecycle rule removes them)', async () => {
    jest.useFakeTimers();
    try {
      multipartSource();
      s3Mock.on(UploadPartCopyCommand).rejects(s3Error('SlowDown', 503));
      s3Mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 2, ETag: '"late"' }] });
      const { logger, events } = recordingLogger();

      const outcome = copyObject(s3, request, { logger }).catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(5_000);

      await expect(outcome).resolves.toMatchObject({ name: 'SlowDown' });
      expect(s3Mock).toHaveReceivedCommandTimes(AbortMultipartUploadCommand, 3);
      expect(events).toContainEqual(
        expect.objectContaining({
          event: 'multipart_parts_left',
          upload_id: 'upload-1',
          attempts: 3,
          reason: 'parts still listed after 3 aborts',
        }),
      );
    } finally {
      jest.useRealTimers();
    }
  });

  it('says so when ListParts is refused, after one abort', async () => {
    multipartSource();
    s3Mock.on(UploadPartCopyCommand).rejects(s3Error('SlowDown', 503));
    s3Mock.on(ListPartsCommand).rejects(s3Error('AccessDenied', 403));
    const { logger, events } = recordingLogger();

    await expect(copyObject(s3, request, { logger })).rejects.toThrow('SlowDown');

    expect(s3Mock).toHaveReceivedCommandTimes(AbortMultipartUploadCommand, 1);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'multipart_parts_left', reason: 'parts not verified: AccessDenied: AccessDenied' }),
    );
  });

  describe('when CompleteMultipartUpload answers NoSuchUpload (S3: the upload "might have been aborted or completed")', () => {
    const completedETag = multipartETag([1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"${String(n).repeat(32)}"` })));

    beforeEach(() => {
      multipartSource();
      s3Mock.on(UploadPartCopyCommand).callsFake(partResult);
      s3Mock.on(CompleteMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
    });

    it('treats the copy as done when the destination has the size and the ETag of exactly these parts', async () => {
      s3Mock.on(HeadObjectCommand, { Key: request.destinationKey }).resolves({ ContentLength: 12 * MIB, ETag: completedETag });

      await expect(copyObject(s3, request)).resolves.toEqual({ bytes: 12 * MIB, multipart: true, parts: 3 });

      expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'bucket', Key: request.destinationKey });
      expect(s3Mock).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
    });

    it.each([
      { case: 'another ETag (an older object)', destination: { ContentLength: 12 * MIB, ETag: '"other-3"' } },
      { case: 'another size', destination: { ContentLength: 1, ETag: completedETag } },
    ])('keeps NoSuchUpload (transient, not "source missing") when the destination has $case', async ({ destination }) => {
      s3Mock.on(HeadObjectCommand, { Key: request.destinationKey }).resolves(destination);

      await expect(copyObject(s3, request)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    });

    it('keeps NoSuchUpload when the destination does not exist', async () => {
      s3Mock
        .on(HeadObjectCommand, { Key: request.destinationKey })
        .rejects(Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));

      await expect(copyObject(s3, request)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    });
  });

  it('lets a missing source surface as the SDK error, for the caller to classify', async () => {
    s3Mock
      .on(HeadObjectCommand)
      .rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));

    await expect(copyObject(s3, request)).rejects.toMatchObject({ name: 'NotFound' });
    expect(s3Mock).not.toHaveReceivedCommand(CopyObjectCommand);
  });
});
