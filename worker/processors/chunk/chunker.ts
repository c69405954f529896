import type { TokenCounter } from './tokenizer';

/**
 * How strong a place to cut between two chunks is. A chunk ends at the strongest cut that keeps it within the
 * maximum, and among equally strong ones at the farthest: headings, then paragraphs, then sentences, then words;
 * inside a word only when one word alone is over the maximum.
 */
export const CutLevel = { char: 0, word: 1, sentence: 2, paragraph: 3, heading: 4, end: 5 } as const;
export type CutLevel = (typeof CutLevel)[keyof typeof CutLevel];

/** One chunk: `text === extracted.slice(start, end)`, offsets in UTF-16 code units (JavaScript string indices). */
export interface ChunkSpan {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Exact, with the chunker's counter. */
  readonly tokens: number;
}

export interface ChunkerOptions {
  readonly maxTokens: number;
  readonly overlapTokens: number;
  /** Exact counts: each chunk's recorded count, and the check that it is within the maximum. */
  readonly counter: TokenCounter;
  /** Counts of single words, to estimate where a chunk ends; a cached counter makes them cheap. @default counter */
  readonly wordCounter?: TokenCounter;
  /** Offsets (into the whole text) of each heading's first character: the strongest cuts. */
  readonly headingStarts?: ReadonlySet<number>;
}

/**
 * Characters one chunk decision looks at, per token of the maximum (English runs about 4 characters a token).
 * The decision depends on the text from the chunk's start to that horizon only, never on how the text arrived,
 * so a stream cut anywhere chunks exactly like the whole text.
 */
const WINDOW_CHARS_PER_TOKEN = 16;
const MIN_WINDOW_CHARS = 4096;
/**
 * A run of non-whitespace longer than this (a URL, base64, text in a script without spaces) is estimated in
 * pieces of this length, each a possible cut inside the word: a tokenizer's cost grows with the square of a run.
 */
const WORD_PIECE_CHARS = 64;
/** A chunk below this share of the maximum is cut shorter than it could be; see `decide`. */
const MIN_FILL = 0.5;
/** How far a scan estimates, in maximums. */
const SCAN_MAXIMUMS = 2;
/** Whitespace at least this long always ends a chunk: nothing worth embedding spans it, and counting it is slow. */
const HARD_BREAK_WHITESPACE_CHARS = 256;

/** ICU ends a sentence at every line break; a line break inside a paragraph is only a wrapped line. */
const LINE_BREAKS = /[\n\v\f\r\u0085\u2028\u2029]/g;

interface Cut {
  /** Where a chunk cut here ends: after the last non-whitespace character. Local to the buffer. */
  end: number;
  /** Where the following chunk starts: the next non-whitespace character. Local to the buffer. */
  next: number;
  level: CutLevel;
  /** Estimated tokens of the piece this cut closes (from the previous cut's end, leading whitespace included). */
  tokens: number;
  /** Estimated tokens from the chunk's start to this cut. */
  total: number;
}

interface Scan {
  readonly cuts: Cut[];
  /** The scan reached the end of what a chunk from its start may hold: the text's end or a hard break. */
  readonly complete: boolean;
}

interface Decision {
  readonly end: number;
  readonly tokens: number;
  readonly final: boolean;
  /** Where the next chunk starts without overlap. */
  readonly next: number;
  /** Where it starts with overlap (≤ next). */
  readonly overlapStart: number;
}

/**
 * Cuts a text into chunks of at most `maxTokens` tokens, fed in pieces of any size (`push`), then `end`. It keeps
 * only the text from the current chunk's start to its look-ahead window, so memory stays bounded on a stream.
 */
export class Chunker {
  private buffer = '';
  /** Offset in the whole text of buffer[0]. */
  private bufferStart = 0;
  /** Offset of the next chunk's start. */
  private cursor = 0;
  /** The next chunk must end after this offset (the previous chunk's end), so overlap never repeats a whole chunk. */
  private mustPass = -1;
  /** Where the next chunk starts if its overlap leaves no room for new text. */
  private noOverlapStart = 0;
  private ended = false;
  private readonly window: number;
  private readonly wordCounter: TokenCounter;
  private readonly headingStarts: ReadonlySet<number>;
  private readonly sentences = new Intl.Segmenter('en', { granularity: 'sentence' });

  constructor(private readonly options: ChunkerOptions) {
    this.window = Math.max(MIN_WINDOW_CHARS, options.maxTokens * WINDOW_CHARS_PER_TOKEN);
    this.wordCounter = options.wordCounter ?? options.counter;
    this.headingStarts = options.headingStarts ?? new Set();
  }

  /** Adds text; yields the chunks it completes. */
  *push(text: string): Generator<ChunkSpan> {
    if (this.ended) throw new Error('Chunker.push after end');
    this.buffer += text;
    yield* this.drain();
  }

  /** The text is complete: yields the remaining chunks. */
  *end(): Generator<ChunkSpan> {
    this.ended = true;
    yield* this.drain();
  }

  private *drain(): Generator<ChunkSpan> {
    for (;;) {
      let start = this.cursor - this.bufferStart;
      while (start < this.buffer.length && isSpace(this.buffer.charCodeAt(start))) start++;
      this.cursor = this.bufferStart + start;
      if (start >= this.buffer.length) return;
      if (!this.ended && this.buffer.length - start < this.window) return;
      const horizon = Math.min(start + this.window, this.buffer.length);
      const decision = this.decide(start, horizon, this.ended && horizon === this.buffer.length);
      if (decision === 'without-overlap') {
        // The overlap and the next piece of new text do not fit together: start where the last chunk's cut was.
        this.cursor = this.noOverlapStart;
        continue;
      }
      const text = this.buffer.slice(start, decision.end);
      yield { start: this.cursor, end: this.bufferStart + decision.end, text, tokens: decision.tokens };
      if (decision.final) {
        this.cursor = this.bufferStart + this.buffer.length;
        continue;
      }
      this.mustPass = this.bufferStart + decision.end;
      this.noOverlapStart = this.bufferStart + decision.next;
      this.cursor = this.bufferStart + decision.overlapStart;
      const consumed = this.cursor - this.bufferStart;
      if (consumed > this.window) {
        this.buffer = this.buffer.slice(consumed);
        this.bufferStart = this.cursor;
      }
    }
  }

  /** The chunk starting at `start` (local), looking no further than `horizon`. */
  private decide(start: number, horizon: number, atEnd: boolean): Decision | 'without-overlap' {
    const mustPass = this.mustPass - this.bufferStart;
    const scan = this.scan(start, horizon, atEnd);
    const { cuts } = scan;
    const { maxTokens } = this.options;
    let budget = maxTokens;
    let levelCap: CutLevel = CutLevel.end;
    let sentencesAdded = false;
    for (;;) {
      const chosen = choose(cuts, budget, mustPass, levelCap);
      if (chosen === -1 && (sentencesAdded || cuts.length === 0)) break;
      if (chosen === -1 || (cuts[chosen].level < CutLevel.paragraph && !sentencesAdded)) {
        this.addSentenceCuts(start, cuts);
        sentencesAdded = true;
        continue;
      }
      const cut = cuts[chosen];
      // A short chunk is worth its cut only if what follows fits in the next chunk whole; when it will be cut
      // anyway, fill this chunk with the start of it instead ("Introduction", then a paragraph longer than
      // the maximum, is one chunk, not a one-word chunk and the rest).
      if (
        cut.level > CutLevel.char &&
        cut.level < CutLevel.heading &&
        cut.total < maxTokens * MIN_FILL &&
        !unitAfterFits(scan, chosen, maxTokens)
      ) {
        levelCap = (cut.level - 1) as CutLevel;
        continue;
      }
      const tokens = this.options.counter.count(this.buffer.slice(start, cut.end));
      if (tokens <= maxTokens) return this.decision(cuts, chosen, tokens);
      // The estimate was short: ask for proportionally less, and strictly less than this cut.
      budget = Math.min(cut.total - 1, Math.floor((cut.total * maxTokens) / tokens));
    }
    if (start < this.noOverlapStart - this.bufferStart) return 'without-overlap';
    return this.splitInsideWord(start, cuts[0]);
  }

  private decision(cuts: readonly Cut[], chosen: number, tokens: number): Decision {
    const cut = cuts[chosen];
    if (cut.level === CutLevel.end) return { end: cut.end, tokens, final: true, next: cut.next, overlapStart: cut.next };
    let overlapStart = cut.next;
    // A new section starts afresh; elsewhere the next chunk repeats the last words that fit in the overlap,
    // counted exactly (the estimate finds the first candidate, the count may move it a word or two on).
    if (this.options.overlapTokens > 0 && cut.level < CutLevel.heading) {
      for (let index = 0; index < chosen; index++) {
        if (cut.total - cuts[index].total > this.options.overlapTokens) continue;
        if (this.options.counter.count(this.buffer.slice(cuts[index].next, cut.end)) > this.options.overlapTokens) continue;
        overlapStart = cuts[index].next;
        break;
      }
    }
    return { end: cut.end, tokens, final: false, next: cut.next, overlapStart };
  }

  /**
   * The possible cuts after `start`, each with the estimated tokens up to it, until the estimate passes twice the
   * maximum (enough to tell whether what follows a short chunk fits in the next one), the horizon is reached or
   * a hard break (a long run of whitespace) ends the chunk.
   */
  private scan(start: number, horizon: number, atEnd: boolean): Scan {
    const text = this.buffer;
    const cuts: Cut[] = [];
    let complete = true;
    let total = 0;
    let pieceStart = start;
    for (;;) {
      let wordStart = pieceStart;
      while (wordStart < horizon && isSpace(text.charCodeAt(wordStart))) wordStart++;
      if (wordStart >= horizon) break;
      const pieceLimit = Math.min(horizon, wordStart + WORD_PIECE_CHARS);
      let wordEnd = wordStart;
      while (wordEnd < pieceLimit && !isSpace(text.charCodeAt(wordEnd))) wordEnd++;
      let cut: Omit<Cut, 'tokens' | 'total'>;
      if (wordEnd === pieceLimit && pieceLimit < horizon && !isSpace(text.charCodeAt(wordEnd))) {
        // The word goes on: cut it into a piece, never between the two halves of a surrogate pair.
        const end = isHighSurrogate(text.charCodeAt(wordEnd - 1)) ? wordEnd - 1 : wordEnd;
        cut = { end, next: end, level: CutLevel.char };
      } else if (wordEnd === horizon && !atEnd) {
        // The word may go on past the horizon. A chunk decision always has room for one piece: the window is
        // far longer than a piece, so this is a cut only in a text of a single word.
        if (cuts.length > 0) break;
        cut = { end: wordEnd, next: wordEnd, level: CutLevel.char };
      } else {
        let next = wordEnd;
        while (next < horizon && isSpace(text.charCodeAt(next))) next++;
        const hardBreak = next - wordEnd >= HARD_BREAK_WHITESPACE_CHARS;
        // What follows the whitespace is past the horizon: its level is unknown, unless the whitespace alone makes it a hard break.
        if (next === horizon && !atEnd && !hardBreak) break;
        let level: CutLevel;
        if (next === horizon) level = atEnd ? CutLevel.end : CutLevel.paragraph;
        else level = hardBreak ? (Math.max(CutLevel.paragraph, this.levelBetween(wordEnd, next)) as CutLevel) : this.levelBetween(wordEnd, next);
        cut = { end: wordEnd, next, level };
      }
      const tokens = this.wordCounter.count(text.slice(pieceStart, cut.end));
      total += tokens;
      cuts.push({ ...cut, tokens, total });
      if (cut.level === CutLevel.end || cut.next - cut.end >= HARD_BREAK_WHITESPACE_CHARS) break;
      if (total > this.options.maxTokens * SCAN_MAXIMUMS) {
        complete = false;
        break;
      }
      pieceStart = cut.end;
    }
    return { cuts, complete: complete && cuts.length > 0 && (cuts[cuts.length - 1].level === CutLevel.end || cuts[cuts.length - 1].next - cuts[cuts.length - 1].end >= HARD_BREAK_WHITESPACE_CHARS) };
  }

  /** The level of a cut between a word ending at `wordEnd` and the next starting at `next` (local offsets). */
  private levelBetween(wordEnd: number, next: number): CutLevel {
    if (this.headingStarts.has(this.bufferStart + next)) return CutLevel.heading;
    let lineBreaks = 0;
    for (let index = wordEnd; index < next; index++) {
      const code = this.buffer.charCodeAt(index);
      if (code === 0x0c) return CutLevel.paragraph; // form feed: a page break
      // \r\n counts once, at its \n; a lone \r (old Mac line ends) counts too.
      if (code === 0x0a || (code === 0x0d && this.buffer.charCodeAt(index + 1) !== 0x0a)) lineBreaks++;
      if (lineBreaks >= 2 || code === 0x2029) return CutLevel.paragraph;
    }
    return CutLevel.word;
  }

  /**
   * Marks the cuts where a sentence starts, found by ICU's sentence rules (Intl.Segmenter) over the scanned
   * text, and adds a cut where a sentence starts inside a run without spaces (Chinese, Japanese).
   */
  private addSentenceCuts(start: number, cuts: Cut[]): void {
    if (cuts.length === 0) return;
    const regionEnd = cuts[cuts.length - 1].end;
    const region = this.buffer.slice(start, regionEnd).replace(LINE_BREAKS, ' ');
    let index = 0;
    for (const { index: offset } of this.sentences.segment(region)) {
      if (offset === 0) continue;
      const sentenceStart = start + offset;
      while (index < cuts.length && cuts[index].end < sentenceStart && cuts[index].next < sentenceStart) index++;
      if (index >= cuts.length) break;
      const cut = cuts[index];
      if (cut.next === sentenceStart) {
        if (cut.level < CutLevel.sentence) cut.level = CutLevel.sentence;
      } else if (cut.end > sentenceStart) {
        // Inside this cut's piece: split the piece in two at the sentence start.
        const pieceStart = index === 0 ? start : cuts[index - 1].end;
        if (sentenceStart <= pieceStart || isSpace(this.buffer.charCodeAt(sentenceStart - 1))) continue;
        const head = this.wordCounter.count(this.buffer.slice(pieceStart, sentenceStart));
        const tail = this.wordCounter.count(this.buffer.slice(sentenceStart, cut.end));
        cuts.splice(index, 0, { end: sentenceStart, next: sentenceStart, level: CutLevel.sentence, tokens: head, total: 0 });
        cut.tokens = tail;
        index++;
      }
    }
    let total = 0;
    for (const cut of cuts) cut.total = total += cut.tokens;
  }

  /**
   * Only a cut inside the first piece can keep the chunk within the maximum: the longest prefix of it (whole code
   * points) that fits, found by exact counts.
   */
  private splitInsideWord(start: number, first: Cut): Decision {
    let fits = start;
    let over = first.end + 1;
    while (over - fits > 1) {
      let middle = Math.floor((fits + over) / 2);
      if (isLowSurrogate(this.buffer.charCodeAt(middle)) && isHighSurrogate(this.buffer.charCodeAt(middle - 1))) middle--;
      if (middle <= fits) middle = fits + (isHighSurrogate(this.buffer.charCodeAt(fits)) ? 2 : 1);
      if (middle >= over) break;
      if (this.options.counter.count(this.buffer.slice(start, middle)) <= this.options.maxTokens) fits = middle;
      else over = middle;
    }
    if (fits === start) throw new Error(`one character at offset ${this.bufferStart + start} is over ${this.options.maxTokens} tokens`);
    const tokens = this.options.counter.count(this.buffer.slice(start, fits));
    if (fits === first.end) {
      const cut = { ...first };
      return cut.level === CutLevel.end
        ? { end: cut.end, tokens, final: true, next: cut.next, overlapStart: cut.next }
        : { end: cut.end, tokens, final: false, next: cut.next, overlapStart: cut.next };
    }
    return { end: fits, tokens, final: false, next: fits, overlapStart: fits };
  }
}

/**
 * The cut to use among those within `budget` estimated tokens that end after `mustPass` and are no stronger
 * than `levelCap`: the strongest, and the farthest of the strongest. -1 when there is none.
 */
function choose(cuts: readonly Cut[], budget: number, mustPass: number, levelCap: CutLevel): number {
  let best = -1;
  for (let index = 0; index < cuts.length && cuts[index].total <= budget; index++) {
    if (cuts[index].end <= mustPass || cuts[index].level > levelCap) continue;
    if (best === -1 || cuts[index].level >= cuts[best].level) best = index;
  }
  return best;
}

/**
 * Whether the unit after cut `index` (up to the next cut at least as strong) fits in one chunk. When the scan
 * ended before such a cut, it fits only if the scan saw the whole rest (the text's end or a hard break).
 */
function unitAfterFits({ cuts, complete }: Scan, index: number, maxTokens: number): boolean {
  const { level, total } = cuts[index];
  for (let next = index + 1; next < cuts.length; next++) {
    if (cuts[next].level >= level) return cuts[next].total - total <= maxTokens;
  }
  return complete && cuts[cuts.length - 1].total - total <= maxTokens;
}

/** Every chunk of a whole text. */
export function chunkText(text: string, options: ChunkerOptions): ChunkSpan[] {
  const chunker = new Chunker(options);
  return [...chunker.push(text), ...chunker.end()];
}

/** The whitespace of JavaScript's `\s`, by code unit. */
export function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
