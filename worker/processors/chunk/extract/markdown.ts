import MarkdownIt from 'markdown-it';
import type { ExtractedDocument, Heading } from '../document';

/** markdown-it counts lines as it splits them: \r\n, \r and \n each end one (its normalize step). */
const LINE_END = /\r\n?|\n/g;

const parser = new MarkdownIt('commonmark');

/**
 * Markdown is chunked as it is written: the text is the source, so offsets point into the file itself. The
 * parser finds the headings (ATX `#` and setext underlines), and only real ones: not a `#` line inside a code
 * block.
 */
export function extractMarkdown(source: string): ExtractedDocument {
  const tokens = parser.parse(source, {});
  const lineStarts = [0];
  for (const match of source.matchAll(LINE_END)) lineStarts.push(match.index + match[0].length);
  const headings: Heading[] = [];
  tokens.forEach((token, index) => {
    if (token.type !== 'heading_open' || token.map === null) return;
    let start = lineStarts[token.map[0]];
    // Up to three spaces may indent a heading; it starts at its first character.
    while (/\s/.test(source.charAt(start))) start++;
    const inline = tokens[index + 1];
    const text = (inline?.children ?? [])
      .map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : child.type === 'softbreak' ? ' ' : ''))
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
    if (text !== '') headings.push({ start, level: Number(token.tag.slice(1)), text });
  });
  return { text: source, headings };
}
