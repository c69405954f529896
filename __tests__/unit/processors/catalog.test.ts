import { COPY_ONLY_CATALOG, ProcessorType } from '../../../contracts';
import { DEFAULT_PROCESSOR_SETTING, loadProcessorCatalog } from '../../../config/processors';
import { ConfigError } from '../../../runtime/env';
import { isCopyOnly, resolveCatalog } from '../../../runtime/processors/catalog';

const problemsOf = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('resolveCatalog', () => {
  it('gives a deployment that configures nothing the built-in copy, as its default', () => {
    expect(resolveCatalog({})).toEqual(COPY_ONLY_CATALOG);
    expect(isCopyOnly(resolveCatalog({}))).toBe(true);
  });

  it('keeps copy beside configured processors and takes the default named', () => {
    const catalog = resolveCatalog({ processors: { mirror: { type: 'copy' } }, defaultProcessor: 'mirror' });

    expect(catalog).toEqual({
      schemaVersion: 1,
      defaultProcessor: 'mirror',
      processors: { copy: { type: ProcessorType.copy }, mirror: { type: ProcessorType.copy } },
    });
    expect(isCopyOnly(catalog)).toBe(false);
  });

  it('resolves its own output to itself, so the worker can check what the synth wrote', () => {
    const catalog = resolveCatalog({ processors: { mirror: { type: 'copy' } } });

    expect(resolveCatalog(JSON.parse(JSON.stringify(catalog)))).toEqual(catalog);
  });

  it.each([
    { case: 'not an object', input: [], problem: 'the processor catalog must be a JSON object, got []' },
    { case: 'processors that are not an object', input: { processors: 'copy' }, problem: 'processors must be an object of processors by name, got "copy"' },
    {
      case: 'a name with capitals',
      input: { processors: { Scan: { type: 'copy' } } },
      problem: 'processors.Scan must be named with lowercase letters, digits and hyphens, starting with a letter, at most 32 characters, got "Scan"',
    },
    { case: 'a name too long', input: { processors: { ['p'.repeat(33)]: { type: 'copy' } } }, problem: `processors.${'p'.repeat(33)} must be named` },
    { case: 'a processor that is not an object', input: { processors: { scan: 'copy' } }, problem: 'processors.scan must be an object with a "type", got "copy"' },
    { case: 'an unknown type', input: { processors: { scan: { type: 'cp' } } }, problem: 'processors.scan.type must be one of copy, chunk, command, got "cp"' },
    { case: 'no type', input: { processors: { scan: {} } }, problem: 'processors.scan.type must be one of copy, chunk, command, got nothing' },
    {
      case: 'a setting the type does not have',
      input: { processors: { mirror: { type: 'copy', timeoutSeconds: 5 } } },
      problem: "processors.mirror.timeoutSeconds must be left out: a copy processor's settings are type, got 5",
    },
    {
      case: 'a default that is not configured',
      input: { processors: { mirror: { type: 'copy' } }, defaultProcessor: 'scan' },
      problem: 'defaultProcessor must be the name of a configured processor (copy, mirror), got "scan"',
    },
    { case: 'another schema version', input: { schemaVersion: 2 }, problem: 'schemaVersion must be 1' },
  ])('refuses $case, naming the setting and the value', ({ input, problem }) => {
    expect(problemsOf(() => resolveCatalog(input)).join('\n')).toContain(problem);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(() => resolveCatalog({ processors: { A: { type: 'copy' }, b: { type: 'x' } }, defaultProcessor: 'z' }));

    expect(problems).toHaveLength(3);
  });
});

describe('resolveCatalog: chunk', () => {
  it('fills every default of a chunk processor', () => {
    expect(resolveCatalog({ processors: { rag: { type: 'chunk' } } }).processors.rag).toEqual({
      type: ProcessorType.chunk,
      maxTokens: 512,
      overlapTokens: 64,
      encoding: 'cl100k_base',
      maxInputBytes: 32 * 1024 * 1024,
    });
  });

  it('keeps the settings given, and defaults the overlap to at most half of a small maximum', () => {
    expect(resolveCatalog({ processors: { rag: { type: 'chunk', maxTokens: 256, overlapTokens: 0, encoding: 'o200k_base', maxInputBytes: 1024 } } }).processors.rag).toEqual({
      type: ProcessorType.chunk,
      maxTokens: 256,
      overlapTokens: 0,
      encoding: 'o200k_base',
      maxInputBytes: 1024,
    });
    expect(resolveCatalog({ processors: { rag: { type: 'chunk', maxTokens: 100 } } }).processors.rag).toMatchObject({ maxTokens: 100, overlapTokens: 50 });
  });

  it.each([
    { case: 'a maximum below 16', settings: { maxTokens: 10 }, problem: 'processors.rag.maxTokens must be an integer from 16 to 32768, got 10' },
    { case: 'a fractional maximum', settings: { maxTokens: 100.5 }, problem: 'processors.rag.maxTokens must be an integer from 16 to 32768, got 100.5' },
    { case: 'a maximum as a string', settings: { maxTokens: '512' }, problem: 'processors.rag.maxTokens must be an integer from 16 to 32768, got "512"' },
    { case: 'an overlap over half the maximum', settings: { overlapTokens: 257 }, problem: 'processors.rag.overlapTokens must be an integer from 0 to 256, got 257' },
    { case: 'an overlap over half of a maximum given', settings: { maxTokens: 64, overlapTokens: 40 }, problem: 'processors.rag.overlapTokens must be an integer from 0 to 32, got 40' },
    { case: 'a negative overlap', settings: { overlapTokens: -1 }, problem: 'processors.rag.overlapTokens must be an integer from 0 to 256, got -1' },
    { case: 'an unknown encoding', settings: { encoding: 'gpt2' }, problem: 'processors.rag.encoding must be one of cl100k_base, o200k_base, got "gpt2"' },
    { case: 'a zero size limit', settings: { maxInputBytes: 0 }, problem: 'processors.rag.maxInputBytes must be an integer from 1 to 1073741824, got 0' },
    { case: 'a size limit above 1 GiB', settings: { maxInputBytes: 2 ** 31 }, problem: 'processors.rag.maxInputBytes must be an integer from 1 to 1073741824, got 2147483648' },
    {
      case: 'a misspelt setting',
      settings: { maxToken: 300 },
      problem: "processors.rag.maxToken must be left out: a chunk processor's settings are type, maxTokens, overlapTokens, encoding, maxInputBytes, got 300",
    },
  ])('refuses $case, naming the setting and the value', ({ settings, problem }) => {
    expect(problemsOf(() => resolveCatalog({ processors: { rag: { type: 'chunk', ...settings } } }))).toEqual([problem]);
  });

  it('names the file when pipeline.config.ts sets a bad value', () => {
    expect(problemsOf(() => loadProcessorCatalog({ processors: { rag: { type: 'chunk', maxTokens: 8 } } }, {}))).toEqual([
      'pipeline.config.ts: processors.rag.maxTokens must be an integer from 16 to 32768, got 8',
    ]);
  });
});

describe('loadProcessorCatalog', () => {
  it('reads the typed configuration', () => {
    expect(loadProcessorCatalog({ processors: { mirror: { type: 'copy' } }, defaultProcessor: 'mirror' }, {}).defaultProcessor).toBe('mirror');
  });

  it(`lets ${DEFAULT_PROCESSOR_SETTING} pick the default for one deployment`, () => {
    const catalog = loadProcessorCatalog({ processors: { mirror: { type: 'copy' } } }, { [DEFAULT_PROCESSOR_SETTING]: 'mirror' });

    expect(catalog.defaultProcessor).toBe('mirror');
  });

  it('names the file for a problem in the configuration, and the variable for one in the environment', () => {
    expect(problemsOf(() => loadProcessorCatalog({ processors: { s: { type: 'cp' as 'copy' } } }, {}))).toEqual([
      'pipeline.config.ts: processors.s.type must be one of copy, chunk, command, got "cp"',
    ]);
    expect(problemsOf(() => loadProcessorCatalog({}, { [DEFAULT_PROCESSOR_SETTING]: 'scan' }))).toEqual([
      `${DEFAULT_PROCESSOR_SETTING} must be the name of a configured processor (copy), got "scan"`,
    ]);
  });
});
