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
  /**
   * The same counts as `counter`, asked for single words: the chunker sums them into each chunk's count, so they
   * must be exact. Most words recur, so a cached counter makes them cheap. @default counter
   */
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
/** How far a decision estimates, in maximums: far enough to tell whether what follows a short chunk fits in the next. */
const SCAN_MAXIMUMS = 2;
/** Whitespace at least this long always ends a chunk: nothing worth embedding spans it, and counting it is slow. */
const HARD_BREAK_WHITESPACE_CHARS = 256;

/** The tail of a word a tokenizer may join with the line breaks after it; see `crosses`. */
const TRAILING_PUNCTUATION = /[^\s\p{L}\p{N}]$/u;

/** ICU ends a sentence at every line break; a line break inside a paragraph is only a wrapped line. */
const LINE_BREAKS = /[\n\v\f\r\u0085\u2028\u2029]/g;

/**
 * A word (or a piece of a long one) with the cut after it. Offsets are into the whole text. Atoms are made once,
 * as the text arrives, and shared by every decision whose window they are in.
 */
interface Atom {
  /** After the atom's last character: where a chunk cut here ends. */
  end: number;
  /** Where the text after the cut resumes: the next word, or `end` inside a word. */
  next: number;
  /** How strong the cut after this atom is. */
  level: CutLevel;
  /** A long whitespace run follows: no chunk extends past this atom. */
  hard: boolean;
  /** Where the atom's counted text starts: its leading whitespace (none after a hard break), then its word. */
  from: number;
  /** Tokens of the atom's counted text, alone. */
  tokens: number;
  /**
   * Tokens the atom changes when it follows the previous one: a tokenizer's pre-split can join the previous
   * word's trailing punctuation with this atom's leading line breaks (`.` + `\n\n` → `.\n\n`). 0 elsewhere.
   */
  join: number;
  /**
   * Whether a tokenizer piece can span the cut before this atom (the previous word ends in punctuation, this
   * atom's whitespace holds a line break): `join` is then counted, and it depends on what precedes that word.
   */
  crosses: boolean;
  /**
   * The cut before this atom is inside what the tokenizer reads as one piece (a long word cut in pieces, a
   * sentence starting inside a run without spaces): counts summed across it are estimates, not exact.
   */
  inexactBefore: boolean;
}

/** The atoms one decision may use, from the chunk's start, with the tokens up to each. */
interface Scan {
  /** In text order; a split atom makes a scan out of date. */
  readonly atoms: Atom[];
  /** Tokens from the chunk's start to the end of each atom: exact for the first `exactCount`, estimates after. */
  readonly totals: number[];
  /** How many totals are exact: those before the first cut inside a tokenizer piece. */
  readonly exactCount: number;
  /** The scan reached what ends every chunk from its start: the text's end or a hard break. */
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
  private ended = false;
  /** Offset of the next chunk's start. */
  private cursor = 0;
  /** The next chunk must end after this offset (the previous chunk's end), so overlap never repeats a whole chunk. */
  private mustPass = -1;
  /** Where the next chunk starts if its overlap leaves no room for new text. */
  private noOverlapStart = 0;
  private atoms: Atom[] = [];
  /** Where the next atom's word starts (or the whitespace before it). */
  private atomsNext = 0;
  /** The last atom made, kept after compaction drops it from `atoms`: the next atom's join is counted with it. */
  private lastAtom: Atom | undefined;
  /** Sentences are marked up to here. */
  private sentencesEnd = 0;
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

  private get bufferEnd(): number {
    return this.bufferStart + this.buffer.length;
  }

  private code(offset: number): number {
    return this.buffer.charCodeAt(offset - this.bufferStart);
  }

  private slice(start: number, end: number): string {
    return this.buffer.slice(start - this.bufferStart, end - this.bufferStart);
  }

  private *drain(): Generator<ChunkSpan> {
    for (;;) {
      while (this.cursor < this.bufferEnd && isSpace(this.code(this.cursor))) this.cursor++;
      this.compact();
      if (this.cursor >= this.bufferEnd) return;
      if (!this.ended && this.bufferEnd - this.cursor < this.window) return;
      const horizon = Math.min(this.cursor + this.window, this.bufferEnd);
      const decision = this.decide(this.cursor, horizon);
      if (decision === 'without-overlap') {
        // The overlap and the next piece of new text do not fit together: start where the last chunk's cut was.
        this.cursor = this.noOverlapStart;
        continue;
      }
      yield { start: this.cursor, end: decision.end, text: this.slice(this.cursor, decision.end), tokens: decision.tokens };
      if (decision.final) {
        this.cursor = this.bufferEnd;
        continue;
      }
      this.mustPass = decision.end;
      this.noOverlapStart = decision.next;
      this.cursor = decision.overlapStart;
    }
  }

  /**
   * Drops the atoms before the cursor and, once there is a window's worth of it, the text no later step reads:
   * everything before the cursor and before the counted text of the atoms still needed (the first one left, and
   * the last one made, whose text the next atom's join may count).
   */
  private compact(): void {
    let head = 0;
    while (head < this.atoms.length && this.atoms[head].next <= this.cursor) head++;
    if (head > 0) this.atoms.splice(0, head);
    const last = this.lastAtom;
    const keepFrom = Math.min(this.cursor, this.atoms[0]?.from ?? this.cursor, last !== undefined && !last.hard ? last.from : this.cursor);
    if (keepFrom - this.bufferStart > this.window) {
      this.buffer = this.buffer.slice(keepFrom - this.bufferStart);
      this.bufferStart = keepFrom;
    }
  }

  /** The chunk starting at `start`, looking no further than `horizon`. */
  private decide(start: number, horizon: number): Decision | 'without-overlap' {
    const { maxTokens } = this.options;
    let scan = this.scan(start, horizon);
    let budget = maxTokens;
    let levelCap: CutLevel = CutLevel.end;
    let sentencesAdded = false;
    for (;;) {
      const chosen = this.choose(scan, budget, levelCap);
      if (chosen === -1 && (sentencesAdded || scan.atoms.length === 0)) break;
      if (chosen === -1 || (scan.atoms[chosen].level < CutLevel.paragraph && !sentencesAdded)) {
        sentencesAdded = true;
        // A sentence cut on an existing cut changes no total; only a split atom needs the scan again.
        if (this.addSentenceCuts(start, scan)) scan = this.scan(start, horizon);
        continue;
      }
      const atom = scan.atoms[chosen];
      const total = scan.totals[chosen];
      // A short chunk is worth its cut only if what follows fits in the next chunk whole; when it will be cut
      // anyway, fill this chunk with the start of it instead ("Introduction", then a paragraph longer than
      // the maximum, is one chunk, not a one-word chunk and the rest).
      if (atom.level > CutLevel.char && atom.level < CutLevel.heading && total < maxTokens * MIN_FILL && !this.unitAfterFits(scan, chosen)) {
        levelCap = (atom.level - 1) as CutLevel;
        continue;
      }
      const tokens = chosen < scan.exactCount ? total : this.exactTokens(scan, chosen, start);
      if (tokens <= maxTokens) return this.decision(scan, chosen, tokens);
      // The estimate was short: ask for proportionally less, and strictly less than this cut.
      budget = Math.min(total - 1, Math.floor((total * maxTokens) / tokens));
    }
    if (start < this.noOverlapStart) return 'without-overlap';
    return this.splitInsideWord(start);
  }

  /**
   * The cut to use among those within `budget` estimated tokens that end after the previous chunk and are no
   * stronger than `levelCap`: the strongest, and the farthest of the strongest. -1 when there is none.
   */
  private choose(scan: Scan, budget: number, levelCap: CutLevel): number {
    let best = -1;
    let bestLevel = -1;
    for (let index = 0; index < scan.atoms.length && scan.totals[index] <= budget; index++) {
      const atom = scan.atoms[index];
      if (atom.end <= this.mustPass || atom.level > levelCap) continue;
      if (atom.level >= bestLevel) {
        best = index;
        bestLevel = atom.level;
      }
    }
    return best;
  }

  /**
   * Whether the unit after cut `index` (up to the next cut at least as strong) fits in one chunk. When the scan
   * ended before such a cut, it fits only if the scan saw the whole rest (the text's end or a hard break).
   */
  private unitAfterFits(scan: Scan, index: number): boolean {
    const { level } = scan.atoms[index];
    const total = scan.totals[index];
    for (let next = index + 1; next < scan.atoms.length; next++) {
      if (scan.atoms[next].level >= level) return scan.totals[next] - total <= this.options.maxTokens;
    }
    return scan.complete && scan.totals[scan.totals.length - 1] - total <= this.options.maxTokens;
  }

  private decision(scan: Scan, chosen: number, tokens: number): Decision {
    const atom = scan.atoms[chosen];
    if (atom.level === CutLevel.end) return { end: atom.end, tokens, final: true, next: atom.next, overlapStart: atom.next };
    let overlapStart = atom.next;
    // A new section starts afresh, and so does the text after a long gap; elsewhere the next chunk repeats the
    // last words that fit in the overlap, counted exactly (the estimate finds the first candidate).
    if (this.options.overlapTokens > 0 && atom.level < CutLevel.heading && !atom.hard) {
      for (let index = 0; index < chosen; index++) {
        if (scan.totals[chosen] - scan.totals[index] > this.options.overlapTokens) continue;
        const from = scan.atoms[index].next;
        if (this.regionTokens(scan, index + 1, chosen, from) > this.options.overlapTokens) continue;
        overlapStart = from;
        break;
      }
    }
    return { end: atom.end, tokens, final: false, next: atom.next, overlapStart };
  }

  /**
   * The exact tokens from `start` to the end of scanned atom `chosen`, when the scan's total is only an estimate.
   * Counting the whole chunk again would cost as much as tokenizing it; instead the text is cut into units at the
   * cuts no tokenizer piece spans (neither inside a piece nor a join), and only a unit of more than one atom, around
   * a cut that is, is counted anew. A lone atom's count is its own, counted as it was made.
   */
  private exactTokens(scan: Scan, chosen: number, start: number): number {
    let total = 0;
    let unitFirst = 0;
    let unitFrom = start;
    for (let index = 1; index <= chosen; index++) {
      const atom = scan.atoms[index];
      if (atom.inexactBefore || atom.crosses) continue;
      total += this.unitTokens(scan, unitFirst, index - 1, unitFrom);
      unitFirst = index;
      unitFrom = atom.from;
    }
    return total + this.unitTokens(scan, unitFirst, chosen, unitFrom);
  }

  /** Tokens of the text from `from` to the end of scanned atom `last`: a unit of scanned atoms `first` to `last`. */
  private unitTokens(scan: Scan, first: number, last: number, from: number): number {
    const atom = scan.atoms[last];
    if (first === last && from === atom.from) return atom.tokens;
    return this.wordCounter.count(this.slice(from, atom.end));
  }

  /**
   * Tokens of the text from `from` (the word of scanned atom `first`) to the end of scanned atom `last`: from the
   * atoms' own counts when no cut between them is inside a tokenizer piece, else counted.
   */
  private regionTokens(scan: Scan, first: number, last: number, from: number): number {
    const end = scan.atoms[last].end;
    let total = this.wordCounter.count(this.slice(from, scan.atoms[first].end));
    for (let index = first + 1; index <= last; index++) {
      const atom = scan.atoms[index];
      if (atom.inexactBefore) return this.options.counter.count(this.slice(from, end));
      // As in scan: the second atom's join may involve the first one's leading space, which the region leaves out.
      total = index === first + 1 && atom.crosses ? this.wordCounter.count(this.slice(from, atom.end)) : total + atom.tokens + atom.join;
    }
    return total;
  }

  /**
   * The atoms from `start` that a chunk may end at, each with the estimated tokens up to it, until the estimate
   * passes SCAN_MAXIMUMS maximums, the horizon is reached, or the text's end or a hard break ends every chunk.
   * An atom is usable only once what follows it is known within the horizon, so a decision never depends on
   * text past it.
   */
  private scan(start: number, horizon: number): Scan {
    const atoms: Atom[] = [];
    const totals: number[] = [];
    let exactCount = 0;
    let first = 0;
    while (first < this.atoms.length && this.atoms[first].end <= start) first++;
    let total = 0;
    for (let index = first; ; index++) {
      if (index === this.atoms.length && !this.makeAtom()) break;
      const atom = this.atoms[index];
      const usable = atom.hard ? atom.end < horizon : atom.level === CutLevel.end ? atom.next <= horizon : atom.next < horizon;
      if (!usable) break;
      if (index === first) {
        // The chunk starts at this atom's word: its leading whitespace, and any join with the atom before, are not in it.
        total = this.wordCounter.count(this.slice(start, atom.end));
      } else if (index === first + 1 && atom.crosses) {
        // A join can take the first atom's leading space too (` .` + `\n` → ` .\n`), which the chunk leaves out.
        total = this.wordCounter.count(this.slice(start, atom.end));
      } else {
        total += atom.tokens + atom.join;
      }
      if (exactCount === atoms.length && (index === first || !atom.inexactBefore)) exactCount++;
      atoms.push(atom);
      totals.push(total);
      if (atom.level === CutLevel.end || atom.hard) return { atoms, totals, exactCount, complete: true };
      if (total > this.options.maxTokens * SCAN_MAXIMUMS) break;
    }
    return { atoms, totals, exactCount, complete: false };
  }

  /**
   * Makes the next atom, when the text so far determines it: the word, where it ends and what follows it. False
   * when more text is needed, or none is left.
   */
  private makeAtom(): boolean {
    const bufferEnd = this.bufferEnd;
    // Text dropped before the buffer was whitespace the cursor skipped.
    let wordStart = Math.max(this.atomsNext, this.bufferStart);
    while (wordStart < bufferEnd && isSpace(this.code(wordStart))) wordStart++;
    if (wordStart >= bufferEnd) return false;
    const pieceLimit = Math.min(bufferEnd, wordStart + WORD_PIECE_CHARS);
    let wordEnd = wordStart;
    while (wordEnd < pieceLimit && !isSpace(this.code(wordEnd))) wordEnd++;
    let atom: Pick<Atom, 'end' | 'next' | 'level' | 'hard'>;
    if (wordEnd === pieceLimit && pieceLimit < bufferEnd && !isSpace(this.code(wordEnd))) {
      // The word goes on: a piece of it, never ending between the two halves of a surrogate pair.
      const end = isHighSurrogate(this.code(wordEnd - 1)) ? wordEnd - 1 : wordEnd;
      atom = { end, next: end, level: CutLevel.char, hard: false };
    } else if (wordEnd === bufferEnd && !this.ended) {
      return false; // the word may go on in the next piece of text
    } else {
      const hardLimit = wordEnd + HARD_BREAK_WHITESPACE_CHARS;
      let next = wordEnd;
      while (next < bufferEnd && next < hardLimit && isSpace(this.code(next))) next++;
      if (next === hardLimit) {
        atom = { end: wordEnd, next, level: CutLevel.paragraph, hard: true };
      } else if (next === bufferEnd) {
        if (!this.ended) return false; // what follows the whitespace is not known yet
        atom = { end: wordEnd, next, level: CutLevel.end, hard: false };
      } else {
        atom = { end: wordEnd, next, level: this.levelBetween(wordEnd, next), hard: false };
      }
    }
    // The leading whitespace counts with the word (a tokenizer reads ` word` and `\n\nWord` as it reads them in
    // the text), except after a hard break, which no chunk spans.
    const previous = this.lastAtom;
    const from = previous === undefined || previous.hard ? wordStart : previous.end;
    const tokens = this.wordCounter.count(this.slice(from, atom.end));
    const crosses = previous !== undefined && from < wordStart && this.crosses(previous, from, wordStart);
    const join = crosses ? this.wordCounter.count(this.slice(previous.from, atom.end)) - previous.tokens - tokens : 0;
    const inexactBefore = previous?.level === CutLevel.char && previous.next === previous.end;
    // Written out rather than spread: every atom then has the same shape, which keeps the loops over atoms fast.
    this.lastAtom = { end: atom.end, next: atom.next, level: atom.level, hard: atom.hard, from, tokens, join, crosses, inexactBefore };
    this.atoms.push(this.lastAtom);
    this.atomsNext = atom.next;
    return true;
  }

  /**
   * Whether a tokenizer piece can span the cut between `previous` and the atom whose whitespace is [from,
   * wordStart). The pre-split of cl100k_base and of o200k_base keeps every piece inside one atom (a word with its
   * leading whitespace) except one: punctuation followed by line breaks (` ?[^\s\p{L}\p{N}]+[\r\n]*`), which
   * can take the previous word's trailing punctuation, and the space before it, with this atom's line breaks.
   */
  private crosses(previous: Atom, from: number, wordStart: number): boolean {
    // The line break first: most whitespace is one space, and looking at it needs no slice.
    return this.hasLineBreak(from, wordStart) && TRAILING_PUNCTUATION.test(this.slice(Math.max(previous.from, previous.end - 2), previous.end));
  }

  private hasLineBreak(start: number, end: number): boolean {
    for (let offset = start; offset < end; offset++) {
      const code = this.code(offset);
      if (code === 0x0a || code === 0x0d) return true;
    }
    return false;
  }

  /** The level of a cut between a word ending at `wordEnd` and the next starting at `next`. */
  private levelBetween(wordEnd: number, next: number): CutLevel {
    if (this.headingStarts.has(next)) return CutLevel.heading;
    let lineBreaks = 0;
    for (let offset = wordEnd; offset < next; offset++) {
      const code = this.code(offset);
      if (code === 0x0c || code === 0x2029) return CutLevel.paragraph; // a form feed (page break), a paragraph separator
      // \r\n counts once, at its \n; a lone \r (old Mac line ends) counts too.
      if (code === 0x0a || (code === 0x0d && this.code(offset + 1) !== 0x0a)) lineBreaks++;
      if (lineBreaks >= 2) return CutLevel.paragraph;
    }
    return CutLevel.word;
  }

  /**
   * Marks where sentences start, by ICU's sentence rules (Intl.Segmenter), in the scanned text not marked yet:
   * the cut before such a word becomes a sentence cut, and a sentence that starts inside a run without spaces
   * (Chinese, Japanese) splits the run's atom there. Whether it split any atom.
   */
  private addSentenceCuts(start: number, scan: Scan): boolean {
    if (scan.atoms.length === 0) return false;
    const regionStart = Math.max(start, this.sentencesEnd);
    const regionEnd = scan.atoms[scan.atoms.length - 1].end;
    if (regionEnd <= regionStart) return false;
    let split = false;
    this.sentencesEnd = regionEnd;
    const region = this.slice(regionStart, regionEnd).replace(LINE_BREAKS, ' ');
    let index = 0;
    for (const { index: offset } of this.sentences.segment(region)) {
      if (offset === 0) continue;
      const sentenceStart = regionStart + offset;
      while (index < this.atoms.length && this.atoms[index].end < sentenceStart && this.atoms[index].next < sentenceStart) index++;
      if (index >= this.atoms.length) break;
      const atom = this.atoms[index];
      if (atom.next === sentenceStart) {
        if (atom.level < CutLevel.sentence) atom.level = CutLevel.sentence;
      } else if (atom.end > sentenceStart && !isSpace(this.code(sentenceStart - 1))) {
        this.splitAtom(index, sentenceStart, CutLevel.sentence);
        split = true;
        index++;
      }
    }
    return split;
  }

  /**
   * Splits atom `index` at `offset` inside its word: the first part ends with a cut of `level`. The cut is inside
   * a tokenizer piece, so counts across it are estimates from then on.
   */
  private splitAtom(index: number, offset: number, level: CutLevel): void {
    const atom = this.atoms[index];
    const head: Atom = {
      end: offset,
      next: offset,
      level,
      hard: false,
      from: atom.from,
      tokens: this.wordCounter.count(this.slice(atom.from, offset)),
      join: atom.join,
      crosses: atom.crosses,
      inexactBefore: atom.inexactBefore,
    };
    atom.from = offset;
    atom.tokens = this.wordCounter.count(this.slice(offset, atom.end));
    atom.join = 0;
    atom.crosses = false;
    atom.inexactBefore = true;
    this.atoms.splice(index, 0, head);
  }

  /**
   * Only a cut inside the first atom can keep the chunk within the maximum: the longest prefix of it (whole code
   * points) that fits, found by exact counts. The atom is split there, so the next chunk starts at an atom.
   */
  private splitInsideWord(start: number): Decision {
    let index = 0;
    while (index < this.atoms.length && this.atoms[index].end <= start) index++;
    if (index === this.atoms.length && !this.makeAtom()) throw new Error(`no text to cut at offset ${start}`);
    const atom = this.atoms[index];
    let fits = start;
    let over = atom.end + 1;
    while (over - fits > 1) {
      let middle = Math.floor((fits + over) / 2);
      if (isLowSurrogate(this.code(middle)) && isHighSurrogate(this.code(middle - 1))) middle--;
      if (middle <= fits) middle = fits + (isHighSurrogate(this.code(fits)) ? 2 : 1);
      if (middle >= over) break;
      if (this.options.counter.count(this.slice(start, middle)) <= this.options.maxTokens) fits = middle;
      else over = middle;
    }
    if (fits === start) throw new Error(`one character at offset ${start} is over ${this.options.maxTokens} tokens`);
    const tokens = this.options.counter.count(this.slice(start, fits));
    if (fits === atom.end) {
      const final = atom.level === CutLevel.end;
      return { end: atom.end, tokens, final, next: atom.next, overlapStart: atom.next };
    }
    this.splitAtom(index, fits, CutLevel.char);
    return { end: fits, tokens, final: false, next: fits, overlapStart: fits };
  }
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
