import { createHash } from 'node:crypto';
import { Chunker, chunkText, type ChunkerOptions, type ChunkSpan } from '../../../../../worker/processors/chunk/chunker';
import { cachedTokenCounter, loadTokenCounter, type TokenCounter } from '../../../../../worker/processors/chunk/tokenizer';

/**
 * The chunker's whole output on a large generated text, pinned by its SHA-256. Chunk ids and a vector store's
 * upserts depend on every boundary and count staying the same from one release to the next, so a change that is
 * meant to be only faster must leave this hash alone. A change of behaviour (or of gpt-tokenizer's counts) changes
 * it on purpose: then record the new hash, and say in the commit why the chunks moved.
 */

let counter: TokenCounter;
beforeAll(async () => {
  counter = await loadTokenCounter('cl100k_base');
});

/**
 * What the text is drawn from: prose, and what makes the chunker take its rarer paths: Markdown bold after a
 * sentence end (ICU starts a sentence inside the word), URLs and JSON longer than a word piece, Chinese without
 * spaces, surrogate pairs, CRLF, no-break spaces, a special token's text, punctuation before line breaks.
 */
const WORDS = [
  'the', 'a', 'of', 'and', 'to', 'in', 'is', 'that', 'worker', 'queue', 'message', 'chunk', 'tokens', 'document',
  'pipeline', 'retrieval', 'embedding', 'visibility', 'timeout', 'heartbeat', 'S3', 'DynamoDB', 'row', 'FINISHED',
  "don't", "it's", 'e.g.', 'U.S.', '3.14', '1,024', '2026-12-06', '(see', 'below)', '"quoted"', '`PIPELINE_AMI_ID`',
  '**Throughput.**', '**Note:**', '[README](../README.md),', 'naïve', 'über', '—', '…', '<|endoftext|>', '🙂', '👍🏽',
  'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingBucket.html#access-bucket-intro-and-more',
  '{"rows":1000,"finished":954,"failed":46,"dead_lettered":0,"lost":0,"differing_outputs":0,"seed":"20261127"}',
  '我们今天去公园散步。天气很好，阳光明媚！你明天有空吗？',
];
const SENTENCE_ENDS = ['.', '.', '.', '?', '!', ':', '.)', '."'];
const SPACES = [' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', '\n', '\u00a0', '  ', '\t'];
const PARAGRAPH_BREAKS = ['\n\n', '\n\n', '\r\n\r\n', '\n\n\n', '.\n\n', '\f'];

/** About `chars` characters of seeded text, and the offsets of its headings. */
function generatedText(seed: number, chars: number): { text: string; headingStarts: Set<number> } {
  let state = seed;
  const next = (bound: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    // The high bits: the low bits of this generator repeat with a short period.
    return (state >>> 16) % bound;
  };
  const pick = <T>(items: readonly T[]): T => items[next(items.length)];
  const headingStarts = new Set<number>();
  let text = '';
  while (text.length < chars) {
    if (next(12) === 0) {
      headingStarts.add(text.length);
      text += `# ${pick(WORDS)} ${pick(WORDS)}\n\n`;
    }
    for (let sentences = 1 + next(8); sentences > 0; sentences--) {
      for (let words = 3 + next(30); words > 0; words--) text += pick(WORDS) + (words > 1 ? pick(SPACES) : '');
      text += pick(SENTENCE_ENDS) + (sentences > 1 ? ' ' : '');
    }
    // Now and then a gap long enough that no chunk spans it.
    text += next(40) === 0 ? ' '.repeat(300) : pick(PARAGRAPH_BREAKS);
  }
  return { text, headingStarts };
}

function digest(spans: readonly ChunkSpan[]): string {
  return createHash('sha256').update(JSON.stringify(spans)).digest('hex');
}

/** The text fed in pieces of seeded lengths, as a stream arrives. */
function chunkInPieces(text: string, options: ChunkerOptions, maxPiece: number): ChunkSpan[] {
  const chunker = new Chunker(options);
  const spans: ChunkSpan[] = [];
  let state = 7;
  for (let offset = 0; offset < text.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const length = 1 + (state % maxPiece);
    spans.push(...chunker.push(text.slice(offset, offset + length)));
    offset += length;
  }
  spans.push(...chunker.end());
  return spans;
}

describe('Chunker output', () => {
  const { text, headingStarts } = generatedText(22, 400_000);

  it.each([
    { maxTokens: 512, overlapTokens: 64, chunks: 428, sha256: '53ccb629753d66f538c0111ea4efb5a5e5f6dea167c1a7a59fa798fd277d1918' },
    { maxTokens: 64, overlapTokens: 16, chunks: 3711, sha256: '795976594d49da696a077202b71650e4a88c1928ee7c13be45949e87a96eb512' },
  ])('is the recorded one at max $maxTokens, overlap $overlapTokens, whole and streamed', ({ maxTokens, overlapTokens, chunks, sha256 }) => {
    const options = (): ChunkerOptions => ({ maxTokens, overlapTokens, counter, wordCounter: cachedTokenCounter(counter), headingStarts });

    const whole = chunkText(text, options());
    const streamed = chunkInPieces(text, options(), 64 * 1024);

    expect(whole.length).toBe(chunks);
    expect(digest(whole)).toBe(sha256);
    expect(digest(streamed)).toBe(sha256);
  });
});
