import { chunkSettingsProblems, DEFAULT_CHUNK_SETTINGS, type ChunkSettings } from '../../../../../worker/processors/chunk/settings';

const PATH = 'processors.chunk';

describe('chunkSettingsProblems', () => {
  it('accepts the defaults and the bounds', () => {
    expect(chunkSettingsProblems(DEFAULT_CHUNK_SETTINGS, PATH)).toEqual([]);
    expect(chunkSettingsProblems({ maxTokens: 16, overlapTokens: 8, encoding: 'o200k_base', maxInputBytes: 1 }, PATH)).toEqual([]);
    expect(chunkSettingsProblems({ ...DEFAULT_CHUNK_SETTINGS, maxTokens: 32_768, overlapTokens: 0 }, PATH)).toEqual([]);
  });

  it.each([
    { case: 'a maximum below 16', change: { maxTokens: 10 }, problem: 'processors.chunk.maxTokens must be an integer from 16 to 32768, got 10' },
    { case: 'a fractional maximum', change: { maxTokens: 100.5 }, problem: 'processors.chunk.maxTokens must be an integer from 16 to 32768, got 100.5' },
    { case: 'a maximum as a string', change: { maxTokens: '512' }, problem: 'processors.chunk.maxTokens must be an integer from 16 to 32768, got ‘512’' },
    { case: 'an overlap over half the maximum', change: { overlapTokens: 257 }, problem: 'processors.chunk.overlapTokens must be an integer from 0 to 256 (half of maxTokens), got 257' },
    { case: 'a negative overlap', change: { overlapTokens: -1 }, problem: 'processors.chunk.overlapTokens must be an integer from 0 to 256 (half of maxTokens), got -1' },
    { case: 'an unknown encoding', change: { encoding: 'gpt2' }, problem: 'processors.chunk.encoding must be one of cl100k_base, o200k_base, got ‘gpt2’' },
    { case: 'a zero size limit', change: { maxInputBytes: 0 }, problem: 'processors.chunk.maxInputBytes must be an integer from 1 to 1073741824, got 0' },
    { case: 'a size limit above 1 GiB', change: { maxInputBytes: 2 ** 31 }, problem: 'processors.chunk.maxInputBytes must be an integer from 1 to 1073741824, got 2147483648' },
  ])('refuses $case, naming the setting and the value', ({ change, problem }) => {
    expect(chunkSettingsProblems({ ...DEFAULT_CHUNK_SETTINGS, ...(change as Partial<ChunkSettings>) }, PATH)).toEqual([problem]);
  });

  it('reports every problem at once', () => {
    const problems = chunkSettingsProblems({ maxTokens: 0, overlapTokens: -1, encoding: 'x' as never, maxInputBytes: -5 }, PATH);

    expect(problems).toHaveLength(4);
  });
});
