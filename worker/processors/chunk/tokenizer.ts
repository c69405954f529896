import type { ChunkEncoding } from '../../../contracts/processors';

/** Counts the tokens of a text with one encoding. */
export interface TokenCounter {
  count(text: string): number;
}

/**
 * A special token's text (`<|endoftext|>`) inside a document is text like any other: counted, never refused
 * (gpt-tokenizer throws on it by default).
 */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Each encoding is loaded when a chunk processor first needs it: loading one builds its rank tables (about 1 s of
 * CPU and 60 MB of memory for cl100k_base), which a worker that only copies must not pay at every start.
 */
const ENCODINGS: Readonly<Record<ChunkEncoding, () => Promise<{ countTokens: typeof import('gpt-tokenizer/encoding/cl100k_base').countTokens }>>> = {
  cl100k_base: () => import('gpt-tokenizer/encoding/cl100k_base'),
  o200k_base: () => import('gpt-tokenizer/encoding/o200k_base'),
};

/** The exact count of `encoding`, as the embedding model's own tokenizer gives it. */
export async function loadTokenCounter(encoding: ChunkEncoding): Promise<TokenCounter> {
  const { countTokens } = await ENCODINGS[encoding]();
  return { count: (text) => countTokens(text, AS_PLAIN_TEXT) };
}

/** Longest text whose count is kept: short words repeat (Zipf), long strings rarely do. */
const CACHED_TEXT_CHARS = 128;
const CACHE_ENTRIES = 100_000;

/**
 * A counter that remembers the counts of short texts. The chunker counts each word with its leading whitespace
 * to estimate where a chunk ends; most of those words have been seen before.
 */
export function cachedTokenCounter(counter: TokenCounter): TokenCounter {
  const cache = new Map<string, number>();
  return {
    count(text) {
      if (text.length > CACHED_TEXT_CHARS) return counter.count(text);
      let tokens = cache.get(text);
      if (tokens === undefined) {
        tokens = counter.count(text);
        // Emptied rather than evicted one by one: a document's vocabulary fills it again within a few pages.
        if (cache.size >= CACHE_ENTRIES) cache.clear();
        cache.set(text, tokens);
      }
      return tokens;
    },
  };
}
