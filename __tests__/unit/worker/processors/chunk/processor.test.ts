import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { makeBadSamples, makeGoodSamples, type SampleDocument } from '../../../../../local/samples/documents';
import { CHUNK_SETTINGS, ProcessorType, type ChunkProcessorSpec } from '../../../../../contracts';
import { chunkProcessor } from '../../../../../worker/processors/chunk/processor';
import type { ChunkManifest } from '../../../../../contracts';
import { recordingLogger } from '../../../../support/worker-logger';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const SPEC: ChunkProcessorSpec = {
  type: ProcessorType.chunk,
  maxTokens: 128,
  overlapTokens: 16,
  encoding: 'cl100k_base',
  maxInputBytes: CHUNK_SETTINGS.maxInputBytes.default,
};
const processor = chunkProcessor('rag', SPEC, { s3 });
const request = (rest: string) => ({
  itemId: 'item-1',
  bucketName: 'bucket',
  sourceKey: `data/input/${rest}`,
  rest,
  outputKey: `data/output/${rest}`,
});
const context = () => ({ logger: recordingLogger().logger });
const s3Error = (name: string, httpStatusCode: number) => Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode } });

/** A GetObject answer streaming `bytes` in 1 KiB pieces, as the SDK gives a body in Node. */
function objectOf(bytes: Uint8Array, eTag = '"etag-1"'): GetObjectCommandOutput {
  const pieces = Array.from({ length: Math.ceil(bytes.length / 1024) }, (_, index) => Buffer.from(bytes.subarray(index * 1024, (index + 1) * 1024)));
  return { ContentLength: bytes.length, ETag: eTag, Body: Readable.from(pieces) as unknown as GetObjectCommandOutput['Body'], $metadata: {} };
}

function putBodies(): Map<string, string> {
  const bodies = new Map<string, string>();
  for (const call of s3Mock.commandCalls(PutObjectCommand)) {
    const { Key, Body } = call.args[0].input;
    bodies.set(Key!, typeof Body === 'string' ? Body : Buffer.isBuffer(Body) ? Body.toString('utf8') : String(Body));
  }
  return bodies;
}

let good: SampleDocument[];
let bad: SampleDocument[];
beforeAll(async () => {
  [good, bad] = await Promise.all([makeGoodSamples(), makeBadSamples()]);
});
beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"put"' });
});

describe('chunk processor', () => {
  it('writes the chunks, then the manifest, and reports both keys with the chunk count', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.md')!;
    s3Mock.on(GetObjectCommand).callsFake(() => objectOf(bytes));

    const outcome = await processor.process(request('docs/guide.md'), context());

    const bodies = putBodies();
    const manifest = JSON.parse(bodies.get('data/output/docs/guide.md.chunks.manifest.json')!) as ChunkManifest;
    const lines = bodies.get('data/output/docs/guide.md.chunks.jsonl')!.split('\n').filter(Boolean);
    expect(outcome).toEqual({
      kind: 'finished',
      output: {
        locationKey: 'data/output/docs/guide.md.chunks.jsonl',
        keys: ['data/output/docs/guide.md.chunks.jsonl', 'data/output/docs/guide.md.chunks.manifest.json'],
        attributes: { chunk_count: lines.length },
      },
      inputBytes: bytes.length,
      details: { format: 'markdown', chunk_count: lines.length, token_total: manifest.token_total },
    });
    expect(manifest).toMatchObject({ schema_version: 1, chunk_count: lines.length, source_key: 'data/input/docs/guide.md', format: 'markdown' });
    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Key, call.args[0].input.ContentType])).toEqual([
      ['data/output/docs/guide.md.chunks.jsonl', 'application/x-ndjson'],
      ['data/output/docs/guide.md.chunks.manifest.json', 'application/json'],
    ]);
  });

  it('reads plain text twice, the second time pinned to the first read’s ETag', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.txt')!;
    s3Mock.on(GetObjectCommand).callsFake(() => objectOf(bytes));

    const outcome = await processor.process(request('guide.txt'), context());

    expect(outcome.kind).toBe('finished');
    expect(s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'bucket', Key: 'data/input/guide.txt' },
      { Bucket: 'bucket', Key: 'data/input/guide.txt', IfMatch: '"etag-1"' },
    ]);
  });

  it('fails every bad document with its reason and writes nothing', async () => {
    for (const sample of bad) {
      if (sample.expect.outcome !== 'fails') throw new Error(sample.name);
      s3Mock.reset();
      s3Mock.on(GetObjectCommand).callsFake(() => objectOf(sample.bytes));

      const outcome = await processor.process(request(`bad/${sample.name}`), context());

      expect({ name: sample.name, outcome }).toEqual({ name: sample.name, outcome: { kind: 'failed', reason: expect.stringMatching(sample.expect.reason) } });
      expect(s3Mock.commandCalls(PutObjectCommand)).toEqual([]);
      expect(s3Mock.commandCalls(CreateMultipartUploadCommand)).toEqual([]);
    }
  });

  it.each([
    { case: 'a missing source', error: s3Error('NoSuchKey', 404), reason: 'source object does not exist: s3://bucket/data/input/a.md' },
    { case: 'a forbidden source', error: s3Error('AccessDenied', 403), reason: 'access denied: s3://bucket/data/input/a.md' },
  ])('fails $case', async ({ error, reason }) => {
    s3Mock.on(GetObjectCommand).rejects(error);

    await expect(processor.process(request('a.md'), context())).resolves.toEqual({ kind: 'failed', reason });
  });

  it.each([
    { case: 'a throttled read', error: s3Error('SlowDown', 503) },
    { case: 'an internal error', error: s3Error('InternalError', 500) },
  ])('throws on $case (transient)', async ({ error }) => {
    s3Mock.on(GetObjectCommand).rejects(error);

    await expect(processor.process(request('a.md'), context())).rejects.toThrow(error.name);
  });

  it('throws when the text changed between its two reads (PreconditionFailed), and leaves no output', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.txt')!;
    s3Mock.on(GetObjectCommand).callsFake((input: { IfMatch?: string }) => {
      if (input.IfMatch !== undefined) throw s3Error('PreconditionFailed', 412);
      return objectOf(bytes);
    });

    await expect(processor.process(request('guide.txt'), context())).rejects.toThrow('PreconditionFailed');
    expect(putBodies().size).toBe(0);
  });

  it('fails a source deleted between the two reads of a text', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.txt')!;
    s3Mock.on(GetObjectCommand).callsFake((input: { IfMatch?: string }) => {
      if (input.IfMatch !== undefined) throw s3Error('NoSuchKey', 404);
      return objectOf(bytes);
    });

    await expect(processor.process(request('guide.txt'), context())).resolves.toEqual({
      kind: 'failed',
      reason: 'source object does not exist: s3://bucket/data/input/guide.txt',
    });
  });

  it('throws when the chunks cannot be written, and writes no manifest', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.md')!;
    s3Mock.on(GetObjectCommand).callsFake(() => objectOf(bytes));
    s3Mock.on(PutObjectCommand).rejects(s3Error('InternalError', 500));

    await expect(processor.process(request('a.md'), context())).rejects.toThrow('InternalError');
    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).not.toContain('data/output/a.md.chunks.manifest.json');
  });

  it('uploads a large chunk file in parts, and aborts the upload when a part fails', async () => {
    const line = `${'All work and no play makes a long text. '.repeat(40)}\n\n`;
    // 4.2 MiB of text makes more than one 5 MiB part of lines (each line carries its text and its fields).
    const text = Buffer.from(line.repeat(Math.ceil((4.2 * 1024 * 1024) / line.length)));
    s3Mock.on(GetObjectCommand).callsFake(() => objectOf(text));
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3Mock.on(UploadPartCommand).rejects(s3Error('InternalError', 500));
    s3Mock.on(AbortMultipartUploadCommand).resolves({});

    await expect(processor.process(request('long.txt'), context())).rejects.toThrow();
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ Bucket: 'bucket', Key: 'data/output/long.txt.chunks.jsonl', UploadId: 'upload-1' }),
    ]);
  }, 60_000);

  it('fails a key whose manifest key would pass S3’s 1024 bytes', async () => {
    const rest = `${'d/'.repeat(500)}x.md`;

    await expect(processor.process(request(rest), context())).resolves.toEqual({
      kind: 'failed',
      reason: `the chunk manifest's key would be ${Buffer.byteLength(`data/output/${rest}.chunks.manifest.json`)} bytes, S3 allows 1024`,
    });
    expect(s3Mock.commandCalls(GetObjectCommand)).toEqual([]);
  });

  it('stops at once when the job is aborted', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.md')!;
    s3Mock.on(GetObjectCommand).callsFake(() => objectOf(bytes));
    const controller = new AbortController();
    controller.abort(new Error('stopping'));

    await expect(processor.process(request('a.md'), { ...context(), abortSignal: controller.signal })).rejects.toThrow();
    expect(putBodies().size).toBe(0);
  });
});
