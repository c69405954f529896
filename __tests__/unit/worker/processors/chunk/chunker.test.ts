import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Chunker, chunkText, type ChunkerOptions, type ChunkSpan } from '../../../../../worker/processors/chunk/chunker';
import { cachedTokenCounter, loadTokenCounter, type TokenCounter } from '../../../../../worker/processors/chunk/tokenizer';

let counter: TokenCounter;
beforeAll(async () => {
  counter = await loadTokenCounter('cl100k_base');
});
const REPO = path.join(__dirname, '../../../../..');
const GUIDE = readFileSync(path.join(REPO, 'local/samples/field-guide.md'), 'utf8');
const DOCS = readFileSync(path.join(REPO, 'docs/worker.md'), 'utf8');

function options(maxTokens: number, overlapTokens: number, headingStarts?: ReadonlySet<number>): ChunkerOptions {
  return { maxTokens, overlapTokens, counter, wordCounter: cachedTokenCounter(counter), headingStarts };
}

/** The text fed in pieces whose lengths a seeded generator picks: a stream cut anywhere. */
function chunkInPieces(text: string, chunkerOptions: ChunkerOptions, seed: number, maxPiece: number): ChunkSpan[] {
  const chunker = new Chunker(chunkerOptions);
  const spans: ChunkSpan[] = [];
  let state = seed;
  for (let offset = 0; offset < text.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const length = 1 + (state % maxPiece);
    spans.push(...chunker.push(text.slice(offset, offset + length)));
    offset += length;
  }
  spans.push(...chunker.end());
  return spans;
}

const CJK = '我们今天去公园散步。天气很好，阳光明媚！你明天有空吗？我们可以一起去图书馆看书。'.repeat(12);
const LONG_RUN = `start ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(150)} end of the run. And a last sentence.`;
const EMOJI = `${'🙂 😀 👍🏽 '.repeat(60)}${'🙂'.repeat(300)}`;
const MIXED_WHITESPACE = `first paragraph line one\r\nline two\r\n\r\nsecond\tparagraph\u00a0with\u2003odd spaces.\f${'x '.repeat(200)}\n\n\n${' '.repeat(400)}after a hard break.`;

describe('Chunker invariants', () => {
  const texts = [
    { case: 'the field guide (Markdown)', text: GUIDE },
    { case: 'docs/worker.md', text: DOCS },
    { case: 'Chinese without spaces', text: CJK },
    { case: 'a 5,400-character run without whitespace', text: LONG_RUN },
    { case: 'emoji (surrogate pairs)', text: EMOJI },
    { case: 'CRLF, tabs, no-break spaces, a form feed and a long whitespace run', text: MIXED_WHITESPACE },
    { case: 'a special token written in the text', text: `Models end a document with <|endoftext|> and start again. ${GUIDE.slice(0, 3000)}` },
  ];
  const settings = [
    { maxTokens: 512, overlapTokens: 64 },
    { maxTokens: 128, overlapTokens: 0 },
    { maxTokens: 64, overlapTokens: 32 },
    { maxTokens: 16, overlapTokens: 4 },
  ];
  const cases = texts.flatMap((text) => settings.map((setting) => ({ ...text, ...setting, label: `${setting.maxTokens}/${setting.overlapTokens}` })));

  it.each(cases)('$case at max $label: exact slices, exact counts within the maximum, every word covered', ({ text, maxTokens, overlapTokens }) => {
    const spans = chunkText(text, options(maxTokens, overlapTokens));

    expect(spans.length).toBeGreaterThan(0);
    const covered = new Uint8Array(text.length);
    let previous: ChunkSpan | undefined;
    for (const span of spans) {
      expect(span.text).toBe(text.slice(span.start, span.end));
      expect(span.tokens).toBe(counter.count(span.text));
      expect(span.tokens).toBeLessThanOrEqual(maxTokens);
      expect(span.text).toBe(span.text.trim());
      // Never half of a surrogate pair at either end.
      expect(span.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
      if (previous) {
        expect(span.start).toBeGreaterThan(previous.start);
        expect(span.end).toBeGreaterThan(previous.end);
        // What a chunk repeats of the one before is the overlap, counted exactly.
        if (span.start < previous.end) expect(counter.count(text.slice(span.start, previous.end))).toBeLessThanOrEqual(overlapTokens);
      }
      covered.fill(1, span.start, span.end);
      previous = span;
    }
    const uncovered: number[] = [];
    for (let index = 0; index < text.length; index++) if (covered[index] === 0 && /\S/.test(text[index])) uncovered.push(index);
    expect(uncovered).toEqual([]);
    if (overlapTokens === 0) {
      for (let index = 1; index < spans.length; index++) expect(spans[index].start).toBeGreaterThanOrEqual(spans[index - 1].end);
    }
  });

  it.each(cases)('$case at max $label: a stream cut anywhere gives the same chunks as the whole text', ({ text, maxTokens, overlapTokens }) => {
    const whole = chunkText(text, options(maxTokens, overlapTokens));

    for (const [seed, maxPiece] of [
      [1, 7],
      [2, 300],
      [3, 5000],
    ]) {
      expect(chunkInPieces(text, options(maxTokens, overlapTokens), seed, maxPiece)).toEqual(whole);
    }
  });

  it('gives the same chunks every time', () => {
    expect(chunkText(GUIDE, options(128, 16))).toEqual(chunkText(GUIDE, options(128, 16)));
  });

  it('yields nothing for empty or whitespace-only text', () => {
    expect(chunkText('', options(64, 0))).toEqual([]);
    expect(chunkText(' \n\t\r\n ', options(64, 0))).toEqual([]);
  });
});

describe('Chunker token counts', () => {
  /** Pieces that test where a tokenizer's pre-split joins or separates text: punctuation before line breaks above all. */
  const FRAGMENTS = [
    'word', 'Word', 'the', '.', ',', '!?', '...', '--', '"quoted"', "don't", "We'll", '1234567', '3.14', '\n', '\r\n', '\n\n',
    '\r', ' ', '  ', '\t', '     ', '😀', '日本語', 'über', '<|endoftext|>', '(x)', 'http://a.b/c?d=e', '\u00a0', '\u2028', '#', '- ', '*',
    '.\n', ')\r\n\r\n', ':\n  ', '"\n', 'x/\n',
  ];

  /** A text of `count` fragments drawn by a seeded generator. */
  function randomText(seed: number, count: number): string {
    let state = seed;
    let text = '';
    for (let index = 0; index < count; index++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      text += FRAGMENTS[state % FRAGMENTS.length];
    }
    return text;
  }

  it.each([
    { encoding: 'cl100k_base' as const, maxTokens: 32, overlapTokens: 8 },
    { encoding: 'cl100k_base' as const, maxTokens: 64, overlapTokens: 0 },
    { encoding: 'o200k_base' as const, maxTokens: 32, overlapTokens: 8 },
  ])('counts every chunk exactly as $encoding does, on 150 texts of tricky fragments (max $maxTokens)', async ({ encoding, maxTokens, overlapTokens }) => {
    const exact = await loadTokenCounter(encoding);
    const mismatches: string[] = [];
    for (let seed = 1; seed <= 150; seed++) {
      const text = randomText(seed, 400);
      for (const span of chunkText(text, { maxTokens, overlapTokens, counter: exact, wordCounter: cachedTokenCounter(exact) })) {
        const count = exact.count(span.text);
        if (count !== span.tokens || count > maxTokens) mismatches.push(`seed ${seed} [${span.start}, ${span.end}): ${span.tokens} recorded, ${count} counted`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('Chunker boundaries', () => {
  const words = (count: number, word = 'word'): string => Array.from({ length: count }, () => word).join(' ');

  it('cuts at a heading before a paragraph, and starts the new section without overlap', () => {
    // Two sections of about 40 tokens each, a maximum of 60: both fit only one at a time.
    const first = `Intro\n\n${words(18)}.\n\n${words(18)}.`;
    const second = `Details\n\n${words(18)}.\n\n${words(18)}.`;
    const text = `${first}\n\n${second}`;
    const headingStart = text.indexOf('Details');

    const spans = chunkText(text, options(60, 20, new Set([0, headingStart])));

    expect(spans.map((span) => span.start)).toContain(headingStart);
    const before = spans.filter((span) => span.start < headingStart);
    expect(before.every((span) => span.end <= headingStart)).toBe(true);
  });

  /** `Word word … word.`: `count` words, a sentence ICU ends at its period (the next one starts with a capital). */
  const sentence = (count: number): string => `Word ${words(count - 1)}.`;

  it.each([
    {
      case: 'a paragraph break rather than a sentence end',
      text: `${sentence(10)} ${sentence(10)}\n\n${sentence(30)}`,
      max: 40,
      expectedFirst: `${sentence(10)} ${sentence(10)}`,
    },
    {
      case: 'a sentence end rather than a word',
      text: `${sentence(20)} ${sentence(40)}`,
      max: 30,
      expectedFirst: sentence(20),
    },
    {
      case: 'the farthest sentence end that fits',
      text: `${sentence(5)} ${sentence(5)} ${sentence(5)} ${sentence(40)}`,
      max: 30,
      expectedFirst: `${sentence(5)} ${sentence(5)} ${sentence(5)}`,
    },
    {
      case: 'a sentence across a wrapped line (a line break is not a sentence end)',
      text: `Word ${words(8)}\n${words(8)} stop. ${sentence(40)}`,
      max: 30,
      expectedFirst: `Word ${words(8)}\n${words(8)} stop.`,
    },
    {
      case: 'words when a sentence is longer than the maximum',
      text: words(100),
      max: 20,
      expectedFirst: words(20),
    },
    {
      case: 'a short paragraph alone when the next one fits in a chunk whole',
      text: `Introduction\n\n${sentence(28)}\n\n${sentence(28)}`,
      max: 30,
      expectedFirst: 'Introduction',
    },
  ])('prefers $case', ({ text, max, expectedFirst }) => {
    const [first] = chunkText(text, options(max, 0));

    expect(first.text).toBe(expectedFirst);
  });

  it('fills a short chunk with the start of what follows when that is longer than the maximum anyway', () => {
    const text = `Introduction\n\n${sentence(100)}`;

    const [first] = chunkText(text, options(30, 0));

    expect(first.text.startsWith(`Introduction\n\nWord word`)).toBe(true);
    expect(first.tokens).toBeGreaterThan(25);
  });

  it('cuts a Chinese run at a sentence end (ICU sentence rules), not in the middle of a sentence', () => {
    const spans = chunkText(CJK, options(40, 0));

    for (const span of spans.slice(0, -1)) expect(span.text).toMatch(/[。！？]$/);
  });

  it('cuts inside a run without whitespace only when the run alone is over the maximum', () => {
    const spans = chunkText(LONG_RUN, options(64, 0));

    expect(spans[0].text.startsWith('start abcdef')).toBe(true);
    expect(spans.at(-1)?.text.endsWith('And a last sentence.')).toBe(true);
    expect(spans.length).toBeGreaterThan(10);
  });

  it('never lets a chunk span a long run of whitespace', () => {
    const text = `before the gap.${' '.repeat(300)}after the gap.`;

    expect(chunkText(text, options(512, 0)).map((span) => span.text)).toEqual(['before the gap.', 'after the gap.']);
  });

  it('counts a special token written in the text as text', () => {
    const [span] = chunkText('hi <|endoftext|> there', options(64, 0));

    expect(span.tokens).toBe(counter.count('hi <|endoftext|> there'));
    expect(span.tokens).toBeGreaterThan(3);
  });

  it('drops the overlap when it leaves no room for the next piece of new text', () => {
    // A maximum of 16 with an overlap of 8: a 30-digit number (10 tokens) does not fit behind 8 tokens of overlap.
    const text = `${words(14, 'a')} ${'1234567890'.repeat(3)} ${words(4, 'b')}`;

    const [first, second] = chunkText(text, options(16, 8));

    expect(first.text).toBe(words(14, 'a'));
    expect(second.start).toBe(text.indexOf('1234'));
  });

  it('refuses push after end', () => {
    const chunker = new Chunker(options(64, 0));
    expect([...chunker.end()]).toEqual([]);

    expect(() => [...chunker.push('late')]).toThrow('Chunker.push after end');
  });
});
