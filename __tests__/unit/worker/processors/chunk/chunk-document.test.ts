import { createHash } from 'node:crypto';
import { makeBadSamples, makeGoodSamples, type SampleDocument } from '../../../../../local/samples/documents';
import { chunkDocument, SourceChangedError, type DocumentSource } from '../../../../../worker/processors/chunk/chunk-document';
import { extractWhole } from '../../../../../worker/processors/chunk/extract';
import { BadDocumentError } from '../../../../../worker/processors/chunk/failures';
import type { ChunkManifest, ChunkRecord } from '../../../../../contracts';
import { manifestJson } from '../../../../../worker/processors/chunk/records';
import { DEFAULT_CHUNK_SETTINGS, type ChunkSettings } from '../../../../../worker/processors/chunk/settings';
import { decodeWhole, textEncodingOf } from '../../../../../worker/processors/chunk/text-encoding';
import { loadTokenCounter } from '../../../../../worker/processors/chunk/tokenizer';

const SETTINGS: ChunkSettings = { ...DEFAULT_CHUNK_SETTINGS, maxTokens: 128, overlapTokens: 16 };
const RECORD_KEYS = ['id', 'index', 'source_key', 'source_sha256', 'start', 'end', 'tokens', 'page', 'page_end', 'heading', 'text'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A source over `bytes` in pieces of `pieceBytes`, counting how many streams were opened and closed. */
function sourceOf(key: string, bytes: Uint8Array, pieceBytes = 4096, reads: Uint8Array[] = [bytes]) {
  const stats = { opened: 0, closed: 0 };
  const source: DocumentSource = {
    key,
    bytes: bytes.length,
    async *open() {
      const content = reads[Math.min(stats.opened, reads.length - 1)];
      stats.opened++;
      try {
        for (let offset = 0; offset < content.length; offset += pieceBytes) yield content.subarray(offset, offset + pieceBytes);
      } finally {
        stats.closed++;
      }
    },
  };
  return { source, stats };
}

interface Run {
  readonly manifest: ChunkManifest;
  readonly lines: string[];
}

async function run(key: string, bytes: Uint8Array, settings = SETTINGS, pieceBytes = 4096): Promise<Run> {
  const lines: string[] = [];
  const { source } = sourceOf(key, bytes, pieceBytes);
  const manifest = await chunkDocument(source, settings, `${key.replace('data/input/', 'data/output/')}.chunks.jsonl`, {
    write: async (line) => void lines.push(line),
  });
  return { manifest, lines };
}

/** The text the offsets index, extracted independently of the chunk run. */
async function extractedText(sample: SampleDocument): Promise<string> {
  if (sample.expect.outcome !== 'chunks') throw new Error(`${sample.name} is a bad sample`);
  const { format } = sample.expect;
  return format === 'text' ? decodeWhole(sample.bytes, textEncodingOf(sample.bytes)) : (await extractWhole(format, sample.bytes)).text;
}

let good: SampleDocument[];
let bad: SampleDocument[];
beforeAll(async () => {
  [good, bad] = await Promise.all([makeGoodSamples(), makeBadSamples()]);
});

describe('chunkDocument on each readable sample', () => {
  const names = ['field-guide.pdf', 'field-guide.docx', 'field-guide.html', 'field-guide.md', 'field-guide.txt', 'field-guide-utf16.txt'];

  it.each(names)('%s: records that slice the extracted text exactly, and a manifest that adds them up', async (name) => {
    const sample = good.find((candidate) => candidate.name === name)!;
    const key = `data/input/samples/${name}`;

    const { manifest, lines } = await run(key, sample.bytes);

    const text = await extractedText(sample);
    const records = lines.map((line) => JSON.parse(line) as ChunkRecord);
    const counter = await loadTokenCounter(SETTINGS.encoding);
    const sourceSha256 = createHash('sha256').update(sample.bytes).digest('hex');
    expect(records.length).toBeGreaterThan(3);
    records.forEach((record, index) => {
      expect(Object.keys(record)).toEqual(RECORD_KEYS);
      expect(lines[index].endsWith('}\n')).toBe(true);
      expect(record.index).toBe(index);
      expect(record.id).toMatch(UUID);
      expect(record.source_key).toBe(key);
      expect(record.source_sha256).toBe(sourceSha256);
      expect(record.text).toBe(text.slice(record.start, record.end));
      expect(record.tokens).toBe(counter.count(record.text));
      expect(record.tokens).toBeLessThanOrEqual(SETTINGS.maxTokens);
    });
    expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
    expect(manifest).toEqual({
      schema_version: 1,
      source_key: key,
      source_sha256: sourceSha256,
      source_bytes: sample.bytes.length,
      format: sample.expect.outcome === 'chunks' ? sample.expect.format : '',
      extractor: { name: expect.any(String), version: expect.any(String) },
      chunker: { version: '1', tokenizer: 'gpt-tokenizer 4.0.0', icu: process.versions.icu },
      settings: { max_tokens: 128, overlap_tokens: 16, encoding: 'cl100k_base', max_input_bytes: SETTINGS.maxInputBytes },
      chunks_key: `data/output/samples/${name}.chunks.jsonl`,
      chunks_sha256: createHash('sha256').update(lines.join('')).digest('hex'),
      chunk_count: records.length,
      token_total: records.reduce((sum, record) => sum + record.tokens, 0),
      text_length: text.length,
      pages: name.endsWith('.pdf') ? 2 : null,
    });
  });

  it('numbers the PDF’s pages: from page 1 to its last, never backwards', async () => {
    const { lines } = await run('data/input/guide.pdf', good.find((sample) => sample.name === 'field-guide.pdf')!.bytes);

    const records = lines.map((line) => JSON.parse(line) as ChunkRecord);
    expect(records[0].page).toBe(1);
    expect(records.at(-1)!.page_end).toBe(2);
    for (const record of records) expect(record.page_end!).toBeGreaterThanOrEqual(record.page!);
    expect(records.some((record) => record.page === 2)).toBe(true);
  });

  it.each(['field-guide.docx', 'field-guide.html', 'field-guide.md'])('%s: each chunk names the heading of the section it starts in', async (name) => {
    const { lines } = await run(`data/input/${name}`, good.find((sample) => sample.name === name)!.bytes);

    const records = lines.map((line) => JSON.parse(line) as ChunkRecord);
    expect(records.map((record) => record.heading)).toContain('What can go wrong');
    const reprocessing = records.find((record) => record.text.startsWith('Reprocessing') || record.text.startsWith('## Reprocessing'));
    expect(reprocessing?.heading).toBe('Reprocessing');
  });

  it('has no page numbers and no headings in plain text', async () => {
    const { lines } = await run('data/input/guide.txt', good.find((sample) => sample.name === 'field-guide.txt')!.bytes);

    for (const record of lines.map((line) => JSON.parse(line) as ChunkRecord)) {
      expect([record.page, record.page_end, record.heading]).toEqual([null, null, null]);
    }
  });
});

describe('chunkDocument reprocessing', () => {
  it.each(['field-guide.pdf', 'field-guide.docx', 'field-guide.txt'])('%s: the same file gives byte-identical lines and manifest', async (name) => {
    const { bytes } = good.find((sample) => sample.name === name)!;

    const first = await run(`data/input/${name}`, bytes);
    const second = await run(`data/input/${name}`, bytes, SETTINGS, 777);

    expect(second.lines.join('')).toBe(first.lines.join(''));
    expect(manifestJson(second.manifest)).toBe(manifestJson(first.manifest));
  });

  it('streams text in pieces of any size to the same output', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide-utf16.txt')!;

    const reference = await run('data/input/a.txt', bytes, SETTINGS, 1 << 20);
    for (const pieceBytes of [1, 3, 4096]) {
      expect((await run('data/input/a.txt', bytes, SETTINGS, pieceBytes)).lines).toEqual(reference.lines);
    }
  });

  it.each([
    { case: 'another key', key: 'data/input/elsewhere/guide.md', settings: SETTINGS },
    { case: 'another maximum', key: 'data/input/guide.md', settings: { ...SETTINGS, maxTokens: 256 } },
  ])('gives other ids for $case', async ({ key, settings }) => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.md')!;
    const reference = await run('data/input/guide.md', bytes);

    const other = await run(key, bytes, settings);

    const ids = new Set(reference.lines.map((line) => (JSON.parse(line) as ChunkRecord).id));
    expect(other.lines.map((line) => (JSON.parse(line) as ChunkRecord).id).filter((id) => ids.has(id))).toEqual([]);
  });
});

describe('chunkDocument on bad input', () => {
  it('refuses every bad sample with its reason, writes nothing, and closes the stream', async () => {
    for (const sample of bad) {
      if (sample.expect.outcome !== 'fails') throw new Error(sample.name);
      const written: string[] = [];
      const { source, stats } = sourceOf(`data/input/bad/${sample.name}`, sample.bytes);

      const outcome = chunkDocument(source, SETTINGS, 'data/output/x.chunks.jsonl', { write: async (line) => void written.push(line) });

      await expect(outcome).rejects.toThrow(BadDocumentError);
      await expect(outcome).rejects.toThrow(sample.expect.reason);
      expect({ name: sample.name, written }).toEqual({ name: sample.name, written: [] });
      expect(stats.closed).toBe(stats.opened);
    }
  });

  it('refuses a PDF above maxInputBytes, naming the size and the setting', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.pdf')!;

    const outcome = run('data/input/big.pdf', bytes, { ...SETTINGS, maxInputBytes: 1000 });

    await expect(outcome).rejects.toThrow(
      `the PDF file is ${(bytes.length / 1024).toFixed(1)} KiB (${bytes.length} bytes), above the chunk processor's limit of 1000 B (maxInputBytes = 1000) for formats parsed whole in memory; split it, or raise the limit`,
    );
  });

  it('refuses a document that turns out larger than its size said, while it reads it', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.html')!;
    const source: DocumentSource = { ...sourceOf('data/input/a.html', bytes).source, bytes: 10 };

    const outcome = chunkDocument(source, { ...SETTINGS, maxInputBytes: 1000 }, 'k', { write: async () => undefined });

    await expect(outcome).rejects.toThrow(/the HTML file is .*above the chunk processor's limit/);
  });

  it('streams plain text of any size: the limit is for formats parsed whole', async () => {
    const { bytes } = good.find((sample) => sample.name === 'field-guide.txt')!;

    const { manifest } = await run('data/input/a.txt', bytes, { ...SETTINGS, maxInputBytes: 1000 });

    expect(manifest.chunk_count).toBeGreaterThan(0);
  });

  it.each([
    { case: 'whitespace-only text', name: 'blank.txt', content: ' \n\n\t ', reason: 'the text has nothing to chunk: it holds only whitespace' },
    { case: 'HTML without text', name: 'blank.html', content: '<html><body><img src="a.png"></body></html>', reason: 'HTML has no text to chunk: it holds only whitespace or markup' },
    { case: 'Markdown of blank lines', name: 'blank.md', content: '\n\n\n', reason: 'Markdown has no text to chunk: it holds only whitespace or markup' },
  ])('refuses $case', async ({ name, content, reason }) => {
    await expect(run(`data/input/${name}`, Buffer.from(content))).rejects.toThrow(reason);
  });

  it('throws a transient SourceChangedError when the second read of a text differs from the first', async () => {
    const { source } = sourceOf('data/input/a.txt', Buffer.from('first version'), 4096, [Buffer.from('first version'), Buffer.from('second version')]);

    const outcome = chunkDocument(source, SETTINGS, 'k', { write: async () => undefined });

    await expect(outcome).rejects.toThrow(SourceChangedError);
  });
});
