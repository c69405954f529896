import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { makeBadSamples, makeGoodSamples, makeLongPdf, type SampleDocument } from '../../../local/samples/documents';
import { CHUNK_COUNT_ATTRIBUTE, COPY_ONLY_CATALOG, ItemAttribute, ItemStatus, ProcessorType, type ProcessorCatalog } from '../../../contracts';
import { requireWorkerBundle } from '../../../local/emulator/paths';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { resolveCatalog } from '../../../runtime/processors/catalog';
import { extractWhole } from '../../../worker/processors/chunk/extract';
import type { ChunkManifest, ChunkRecord } from '../../../contracts';
import { decodeWhole, textEncodingOf } from '../../../worker/processors/chunk/text-encoding';
import { useEmulator } from '../../support/emulator';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  putProcessorCatalog,
  putRowAndMessage,
  readObject,
  readRow,
  runWorkerUntilIdle,
  type TestPipeline,
  type WorkerProcess,
} from '../../support/worker-fixtures';

jest.setTimeout(180_000);

/**
 * The chunk processor end to end on the emulator, with the worker bundle as instances run it: every document type
 * chunked, every bad input FAILED with its reason and no output, and an unchanged file chunked again to the same
 * bytes.
 */

const kit = useEmulator();
let pipeline: TestPipeline | undefined;
const workers: WorkerProcess[] = [];
const EXIT_DEADLINE_MS = 150_000;
const MAX_TOKENS = 128;

/** `rag` chunks; `rag-tight` has a 4 KiB limit for the formats parsed whole, so the sample PDF is above it. */
const CATALOG: ProcessorCatalog = resolveCatalog({
  ...COPY_ONLY_CATALOG,
  processors: {
    rag: { type: ProcessorType.chunk, maxTokens: MAX_TOKENS, overlapTokens: 16 },
    'rag-tight': { type: ProcessorType.chunk, maxInputBytes: 4096 },
  },
});

let good: SampleDocument[];
let bad: SampleDocument[];
beforeAll(async () => {
  requireWorkerBundle();
  [good, bad] = await Promise.all([makeGoodSamples(), makeBadSamples()]);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

async function setUp(): Promise<TestPipeline> {
  const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
  await putProcessorCatalog(p, CATALOG);
  return p;
}

/** Runs `node worker.js` until it stops by itself, idle after 3 s. */
async function runWorker(p: TestPipeline): Promise<void> {
  const { exit, stderr } = await runWorkerUntilIdle(p, { started: workers, deadlineMs: EXIT_DEADLINE_MS });
  expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
}

async function submit(p: TestPipeline, id: string, rest: string, processor: string, requestToken = 'first'): Promise<void> {
  await putRowAndMessage(p, {
    [ItemAttribute.id]: id,
    [ItemAttribute.status]: ItemStatus.PENDING,
    [ItemAttribute.s3Path]: inputPath(p, rest),
    [ItemAttribute.processor]: processor,
    [ItemAttribute.requestToken]: requestToken,
  });
}

async function outputKeys(p: TestPipeline, prefix: string): Promise<string[]> {
  const listed = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

/** The text the chunk offsets index, extracted here independently of the worker. */
async function extractedText(sample: SampleDocument): Promise<string> {
  if (sample.expect.outcome !== 'chunks') throw new Error(sample.name);
  const { format } = sample.expect;
  return format === 'text' ? decodeWhole(sample.bytes, textEncodingOf(sample.bytes)) : (await extractWhole(format, sample.bytes)).text;
}

describe('the chunk processor on the worker', () => {
  it('chunks every document type, and fails every bad input with its reason, writing nothing for it', async () => {
    const p = await setUp();
    for (const sample of [...good, ...bad]) {
      await putInput(p, `samples/${sample.name}`, Buffer.from(sample.bytes));
      await submit(p, sample.name, `samples/${sample.name}`, 'rag');
    }
    await submit(p, 'above-the-limit', 'samples/field-guide.pdf', 'rag-tight');

    await runWorker(p);

    for (const sample of good) {
      const chunksKey = `data/output/samples/${sample.name}.chunks.jsonl`;
      const manifestKey = `data/output/samples/${sample.name}.chunks.manifest.json`;
      const row = await readRow(p, sample.name);
      const lines = (await readObject(p, chunksKey)).toString('utf8').split('\n').filter(Boolean);
      const manifest = JSON.parse((await readObject(p, manifestKey)).toString('utf8')) as ChunkManifest;
      expect({ name: sample.name, row }).toMatchObject({
        name: sample.name,
        row: {
          [ItemAttribute.status]: ItemStatus.FINISHED,
          [ItemAttribute.processedBy]: 'rag',
          [ItemAttribute.outputPath]: `s3://${p.bucketName}/${chunksKey}`,
          [ItemAttribute.outputCount]: 2,
          [ItemAttribute.outputKeys]: [chunksKey, manifestKey],
          [CHUNK_COUNT_ATTRIBUTE]: lines.length,
        },
      });
      expect(manifest).toMatchObject({ schema_version: 1, chunk_count: lines.length, chunks_key: chunksKey, source_bytes: sample.bytes.length });
      const text = await extractedText(sample);
      for (const record of lines.map((line) => JSON.parse(line) as ChunkRecord)) {
        expect(record.text).toBe(text.slice(record.start, record.end));
        expect(record.tokens).toBeLessThanOrEqual(MAX_TOKENS);
      }
    }
    for (const sample of bad) {
      if (sample.expect.outcome !== 'fails') throw new Error(sample.name);
      expect({ name: sample.name, row: await readRow(p, sample.name) }).toMatchObject({
        name: sample.name,
        row: { [ItemAttribute.status]: ItemStatus.FAILED, [ItemAttribute.processedBy]: 'rag', [ItemAttribute.failureReason]: expect.stringMatching(sample.expect.reason) },
      });
    }
    expect(await readRow(p, 'above-the-limit')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FAILED,
      [ItemAttribute.failureReason]: expect.stringMatching(/^the PDF file is .* above the chunk processor's limit of 4\.0 KiB \(maxInputBytes = 4096\)/),
    });
    const written = await outputKeys(p, 'data/output/samples/');
    expect(written).toEqual(good.flatMap((sample) => [`data/output/samples/${sample.name}.chunks.jsonl`, `data/output/samples/${sample.name}.chunks.manifest.json`]).sort());
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('chunks an unchanged file again to byte-identical output with the same ids, a changed one to new ids', async () => {
    const p = await setUp();
    const names = ['field-guide.pdf', 'field-guide.docx', 'field-guide.html', 'field-guide.md', 'field-guide-utf16.txt'];
    for (const name of names) {
      await putInput(p, name, Buffer.from(good.find((sample) => sample.name === name)!.bytes));
      await submit(p, name, name, 'rag');
    }
    await runWorker(p);
    const firstRun = new Map<string, Buffer>();
    for (const key of await outputKeys(p, 'data/output/')) firstRun.set(key, await readObject(p, key));

    // The same files resubmitted, and one file replaced by a longer version of itself.
    for (const name of names) await submit(p, name, name, 'rag', 'second');
    await putInput(p, 'field-guide.pdf', Buffer.from(await makeLongPdf(3)));
    await runWorker(p);

    expect(firstRun.size).toBe(names.length * 2);
    for (const [key, bytes] of firstRun) {
      const again = await readObject(p, key);
      if (key.startsWith('data/output/field-guide.pdf')) expect({ key, same: again.equals(bytes) }).toEqual({ key, same: false });
      else expect({ key, same: again.equals(bytes) }).toEqual({ key, same: true });
    }
    for (const name of names) expect(await readRow(p, name)).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.requestToken]: 'second' });
    const ids = (bytes: Buffer) => bytes.toString('utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as ChunkRecord).id);
    const before = new Set(ids(firstRun.get('data/output/field-guide.pdf.chunks.jsonl')!));
    expect(ids(await readObject(p, 'data/output/field-guide.pdf.chunks.jsonl')).filter((id) => before.has(id))).toEqual([]);
  });
});
