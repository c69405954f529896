import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { copyObject, copySource, partSizeFor } from '../../../worker/copy';

const MIB = 1024 * 1024;
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const request = {
  bucketName: 'bucket',
  sourceKey: 'data/input/a b/file.bin',
  destinationKey: 'data/output/a b/file.bin',
  multipartThresholdBytes: 5 * MIB,
};

beforeEach(() => s3Mock.reset());

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

  it('aborts the multipart upload and rethrows when a part fails', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 12 * MIB, ETag: '"etag-3"' });
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-2' });
    const failure = Object.assign(new Error('slow down'), { name: 'SlowDown' });
    s3Mock.on(UploadPartCopyCommand).rejects(failure);

    await expect(copyObject(s3, request)).rejects.toThrow('slow down');

    expect(s3Mock).toHaveReceivedCommandWith(AbortMultipartUploadCommand, {
      Bucket: 'bucket',
      Key: 'data/output/a b/file.bin',
      UploadId: 'upload-2',
    });
    expect(s3Mock).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('lets a missing source surface as the SDK error, for the caller to classify', async () => {
    s3Mock
      .on(HeadObjectCommand)
      .rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));

    await expect(copyObject(s3, request)).rejects.toMatchObject({ name: 'NotFound' });
    expect(s3Mock).not.toHaveReceivedCommand(CopyObjectCommand);
  });
});
