import { chunkId, type ChunkIdentity } from '../../../../../worker/processors/chunk/ids';

const BASE: ChunkIdentity = {
  sourceKey: 'data/input/report.pdf',
  sourceSha256: 'a'.repeat(64),
  maxTokens: 512,
  overlapTokens: 64,
  encoding: 'cl100k_base',
  extractor: 'unpdf 1.8.1',
  chunkerVersion: '1',
  index: 3,
  start: 100,
  end: 900,
};

describe('chunkId', () => {
  it('is a version 8 UUID, the same for the same identity', () => {
    expect(chunkId(BASE)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(chunkId({ ...BASE })).toBe(chunkId(BASE));
  });

  it.each([
    { case: 'the key', change: { sourceKey: 'data/input/copy-of-report.pdf' } },
    { case: 'the content', change: { sourceSha256: 'b'.repeat(64) } },
    { case: 'the maximum', change: { maxTokens: 256 } },
    { case: 'the overlap', change: { overlapTokens: 0 } },
    { case: 'the encoding', change: { encoding: 'o200k_base' } },
    { case: 'the extractor', change: { extractor: 'unpdf 1.9.0' } },
    { case: 'the chunker', change: { chunkerVersion: '2' } },
    { case: 'the index', change: { index: 4 } },
    { case: 'the start', change: { start: 101 } },
    { case: 'the end', change: { end: 901 } },
  ])('changes with $case', ({ change }) => {
    expect(chunkId({ ...BASE, ...change })).not.toBe(chunkId(BASE));
  });

  it('cannot be confused by values that run into each other', () => {
    expect(chunkId({ ...BASE, sourceKey: 'data/input/a', encoding: 'bc' })).not.toBe(chunkId({ ...BASE, sourceKey: 'data/input/ab', encoding: 'c' }));
  });
});
