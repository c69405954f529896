/** The text of a document, as an extractor gives it to the chunker, and what it knows of its structure. */

export interface Heading {
  /** Offset of the heading's first character in the text. */
  readonly start: number;
  /** 1 for a top-level heading (`<h1>`, `#`, Heading 1), up to 6. */
  readonly level: number;
  readonly text: string;
}

export interface ExtractedDocument {
  /** What chunk offsets index: `chunk.text === text.slice(chunk.start, chunk.end)`. */
  readonly text: string;
  /** In order of `start`. */
  readonly headings: readonly Heading[];
  /** PDF only: the offset where each page's text starts, page 1 first. */
  readonly pageStarts?: readonly number[];
}

/** The heading of the section that `offset` is in: the last one starting at or before it. */
export function headingAt(headings: readonly Heading[], offset: number): Heading | undefined {
  const index = lastAtOrBefore(headings.length, (i) => headings[i].start, offset);
  return index === -1 ? undefined : headings[index];
}

/** The 1-based number of the page that `offset` is on. */
export function pageAt(pageStarts: readonly number[], offset: number): number {
  return Math.max(0, lastAtOrBefore(pageStarts.length, (i) => pageStarts[i], offset)) + 1;
}

/** The last index whose value is ≤ `offset` among `length` ascending values; -1 when none is. */
function lastAtOrBefore(length: number, valueAt: (index: number) => number, offset: number): number {
  let low = 0;
  let high = length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (valueAt(middle) <= offset) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
