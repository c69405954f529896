import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeListedKey, listEarlierOutputs, publishOutputs as publish, StaleOutputsError } from '../../../../../worker/processors/command/publish';
import type { OutputFile } from '../../../../../worker/processors/command/outputs';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const PREFIX = 'data/output/a b/c.pdf/text/';
const target = { bucketName: 'bucket', prefix: PREFIX, itemId: 'row-1', processor: 'text' };
let dir: string;
/** As the command processor does: the listing started first, the publication after. */
const publishOutputs = (client: S3Client, publishTarget: typeof target, files: OutputFile[]) =>
  publish(client, publishTarget, files, listEarlierOutputs(client, publishTarget.bucketName, publishTarget.prefix));

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
  s3Mock.on(DeleteObjectsCommand).resolves({});
  dir = mkdtempSync(path.join(tmpdir(), 'publish-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files(count: number): OutputFile[] {
  return Array.from({ length: count }, (_, index) => {
    const name = `page-${String(index).padStart(2, '0')}.txt`;
    writeFileSync(path.join(dir, name), `page ${index}`);
    return { relativePath: name, absolutePath: path.join(dir, name), key: `${PREFIX}${name}`, bytes: `page ${index}`.length };
  });
}

describe('publishOutputs', () => {
  it('uploads each file to its key, lists the prefix URL-encoded, and deletes only what an earlier run left', async () => {
    const outputs = files(2);
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'data%2Foutput%2Fa+b%2Fc.pdf%2Ftext%2Fpage-00.txt' },
        { Key: 'data/output/a%20b/c.pdf/text/old%0D%0Aname.txt' },
        { Key: 'data/output/a+b/c.pdf/text/_rag-manifest.json' },
      ],
    });

    const published = await publishOutputs(s3, target, outputs);

    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual(outputs.map((file) => file.key));
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({ Bucket: 'bucket', Prefix: PREFIX, EncodingType: 'url' });
    expect(s3Mock.commandCalls(DeleteObjectsCommand)[0].args[0].input).toEqual({
      Bucket: 'bucket',
      Delete: { Objects: [{ Key: `${PREFIX}old\r\nname.txt` }, { Key: `${PREFIX}_rag-manifest.json` }], Quiet: true },
    });
    expect(published).toEqual({ keys: outputs.map((file) => file.key), bytes: 12, staleDeleted: 2 });
  });

  it('writes a manifest of every key above 20 outputs, and keeps it', async () => {
    const outputs = files(21);
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${PREFIX}_rag-manifest.json` }] });

    const published = await publishOutputs(s3, target, outputs);

    const manifest = s3Mock.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === `${PREFIX}_rag-manifest.json`);
    expect(JSON.parse(String(manifest?.args[0].input.Body))).toEqual({ schema_version: 1, item_id: 'row-1', processor: 'text', keys: outputs.map((file) => file.key) });
    expect(published.manifestKey).toBe(`${PREFIX}_rag-manifest.json`);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('pages through the listing and deletes in batches of 1,000', async () => {
    const stale = (page: number) => Array.from({ length: 700 }, (_, index) => ({ Key: `${PREFIX}old-${page}-${index}` }));
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: stale(1), IsTruncated: true, NextContinuationToken: 'next' })
      .resolvesOnce({ Contents: stale(2) });

    expect((await publishOutputs(s3, target, [])).staleDeleted).toBe(1400);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[1].args[0].input.ContinuationToken).toBe('next');
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects?.length)).toEqual([1000, 400]);
  });

  it('throws when a stale output cannot be deleted, so the row is not recorded over a mix', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${PREFIX}old.txt` }] });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: `${PREFIX}old.txt`, Code: 'InternalError' }] });

    await expect(publishOutputs(s3, target, [])).rejects.toThrow(StaleOutputsError);
  });

  it('stopped part way, withdraws the outputs it added and leaves those an earlier run also wrote', async () => {
    const outputs = files(3);
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: encodeURI(outputs[0].key) }] });
    s3Mock.on(PutObjectCommand, { Key: outputs[2].key }).rejects(Object.assign(new Error('stopped'), { name: 'AbortError' }));

    await expect(publishOutputs(s3, target, outputs)).rejects.toThrow('stopped');

    // page-00 is also an earlier run's key (the retry writes it again); page-01 and page-02 (failed, but it might
    // have landed) were new: withdrawn.
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects)).toEqual([
      [{ Key: outputs[1].key }, { Key: outputs[2].key }],
    ]);
  });

  it('withdraws what it added when its signal aborts (an interruption), though that signal stops every other request', async () => {
    const [small] = files(1);
    const largePath = path.join(dir, 'large.bin');
    writeFileSync(largePath, Buffer.alloc(8 * 1024 * 1024 + 1));
    const large: OutputFile = { relativePath: 'large.bin', absolutePath: largePath, key: `${PREFIX}large.bin`, bytes: 8 * 1024 * 1024 + 1 };
    const controller = new AbortController();
    // The cutoff comes while the small file's upload is in flight (it may have landed): the large one never starts.
    s3Mock.on(PutObjectCommand).callsFake(() => {
      controller.abort(new Error('interrupted'));
      return {};
    });

    await expect(publish(s3, target, [small, large], Promise.resolve([]), controller.signal)).rejects.toThrow();

    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([small.key]);
    const withdrawal = s3Mock.commandCalls(DeleteObjectsCommand);
    expect(withdrawal.map((call) => call.args[0].input.Delete?.Objects)).toEqual([[{ Key: small.key }]]);
    // Not with the job's signal, which would refuse it.
    const options = (withdrawal[0].args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
    expect(options?.abortSignal?.aborted).toBe(false);
  });
});

describe('decodeListedKey', () => {
  it.each([
    { encoded: 'a+b', key: 'a b' },
    { encoded: 'a%20b', key: 'a b' },
    { encoded: 'a%2Bb', key: 'a+b' },
    { encoded: 'caf%C3%A9%25', key: 'café%' },
  ])('decodes $encoded', ({ encoded, key }) => {
    expect(decodeListedKey(encoded)).toBe(key);
  });
});
