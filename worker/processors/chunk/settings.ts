/**
 * The chunk processor's settings: what they mean, their defaults and their bounds, checked in one place so
 * synth (the typed processor configuration) and the worker refuse the same values with the same words.
 */

/** Tokenizer encodings the worker bundles (each costs its rank table in the worker bundle: docs/processors.md). */
export const CHUNK_ENCODINGS = ['cl100k_base', 'o200k_base'] as const;
export type ChunkEncoding = (typeof CHUNK_ENCODINGS)[number];

const MIB = 1024 * 1024;

export interface ChunkSettings {
  /**
   * Most tokens in one chunk, counted with {@link encoding}. No chunk exceeds it.
   * @default 512
   */
  readonly maxTokens: number;
  /**
   * Tokens a chunk repeats from the end of the previous one, when both are in the same section; at most half
   * of {@link maxTokens}.
   * @default 64
   */
  readonly overlapTokens: number;
  /**
   * The tokenizer that counts tokens: `cl100k_base` (OpenAI's text-embedding-3 models) or `o200k_base`.
   * @default 'cl100k_base'
   */
  readonly encoding: ChunkEncoding;
  /**
   * Largest input, in bytes, of the formats parsed whole in memory (PDF, DOCX, HTML, Markdown); larger ones end
   * FAILED with the size and the limit. Plain text is streamed and has no limit.
   * @default 33554432 (32 MiB)
   */
  readonly maxInputBytes: number;
}

export const DEFAULT_CHUNK_SETTINGS: ChunkSettings = {
  maxTokens: 512,
  overlapTokens: 64,
  encoding: 'cl100k_base',
  maxInputBytes: 32 * MIB,
};

/** Bounds of the numeric settings. Below 16 tokens a chunk holds a few words; above 32,768 no embedding model reads it. */
export const CHUNK_SETTING_BOUNDS = {
  maxTokens: { min: 16, max: 32_768 },
  maxInputBytes: { min: 1, max: 1024 * MIB },
} as const;

/**
 * Every problem with `settings`, each naming the setting (under `path`, e.g. `processors.chunk`) and the value;
 * empty when they are valid.
 */
export function chunkSettingsProblems(settings: ChunkSettings, path: string): string[] {
  const problems: string[] = [];
  const { maxTokens, overlapTokens, encoding, maxInputBytes } = settings;
  const integerIn = (name: keyof ChunkSettings, value: unknown, min: number, max: number, note = ''): boolean => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return true;
    problems.push(`${path}.${name} must be an integer from ${min} to ${max}${note}, got ${show(value)}`);
    return false;
  };
  const maxTokensValid = integerIn('maxTokens', maxTokens, CHUNK_SETTING_BOUNDS.maxTokens.min, CHUNK_SETTING_BOUNDS.maxTokens.max);
  const overlapMax = Math.floor((maxTokensValid ? maxTokens : CHUNK_SETTING_BOUNDS.maxTokens.max) / 2);
  integerIn('overlapTokens', overlapTokens, 0, overlapMax, ' (half of maxTokens)');
  if (!(CHUNK_ENCODINGS as readonly unknown[]).includes(encoding)) {
    problems.push(`${path}.encoding must be one of ${CHUNK_ENCODINGS.join(', ')}, got ${show(encoding)}`);
  }
  integerIn('maxInputBytes', maxInputBytes, CHUNK_SETTING_BOUNDS.maxInputBytes.min, CHUNK_SETTING_BOUNDS.maxInputBytes.max);
  return problems;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `‘${value}’` : String(value);
}
