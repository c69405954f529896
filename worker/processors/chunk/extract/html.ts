import { createHash } from 'node:crypto';
import { compile, type FormatCallback } from 'html-to-text';
import type { ExtractedDocument, Heading } from '../document';

const HEADING_TAGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const;

/**
 * The text of an HTML document as html-to-text renders it (blocks on their own lines, tables as text tables,
 * links without their URLs, no images, scripts or styles), with its headings. html-to-text returns a string
 * only, so each heading is wrapped in markers while it renders and the markers are taken out after, leaving
 * where each heading starts. The markers hold private-use characters and a digest of the document, so no
 * document can contain them.
 */
export function extractHtml(html: string): ExtractedDocument {
  const nonce = createHash('sha256').update(html).digest('hex').slice(0, 16);
  const open = `\ue000${nonce}`;
  const close = `\ue002${nonce}\ue003`;
  const heading: FormatCallback = (element, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addLiteral(`${open}${String(element.name).slice(1)}\ue001`);
    walk(element.children, builder);
    builder.addLiteral(close);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };
  const render = compile({
    wordwrap: false,
    formatters: { heading },
    selectors: [
      ...HEADING_TAGS.map((tag) => ({ selector: tag, format: 'heading' })),
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
  return withoutMarkers(render(html), open, close);
}

/** The rendered text without the markers, and the headings they wrapped. */
function withoutMarkers(rendered: string, open: string, close: string): ExtractedDocument {
  const markers = new RegExp(`${open}([1-6])\ue001[ \\t]*|[ \\t]*${close}`, 'g');
  const parts: string[] = [];
  let length = 0;
  let opened: { level: number; start: number; part: number } | undefined;
  const headings: Heading[] = [];
  let last = 0;
  for (const match of rendered.matchAll(markers)) {
    const before = rendered.slice(last, match.index);
    parts.push(before);
    length += before.length;
    last = match.index + match[0].length;
    if (match[1] !== undefined) {
      opened = { level: Number(match[1]), start: length, part: parts.length };
    } else if (opened !== undefined) {
      const text = parts.slice(opened.part).join('').replace(/\s+/g, ' ').trim();
      if (text !== '') headings.push({ start: opened.start, level: opened.level, text });
      opened = undefined;
    }
  }
  parts.push(rendered.slice(last));
  return { text: parts.join(''), headings };
}
