import type { ExtractedDocument } from '../document';
import { BadDocumentError } from '../failures';
import type { DocumentFormat } from '../../../../contracts/chunks';
import { decodeWhole, textEncodingOf } from '../text-encoding';
import { LIBRARY_VERSIONS } from '../versions';
import { extractDocx } from './docx';
import { extractHtml } from './html';
import { extractMarkdown } from './markdown';
import { extractPdf } from './pdf';

export interface Extractor {
  readonly name: string;
  readonly version: string;
}

/** The formats parsed whole in memory; plain text is streamed instead (chunk-document.ts). */
export type WholeFormat = Exclude<DocumentFormat, 'text'>;

export const EXTRACTORS: Readonly<Record<DocumentFormat, Extractor>> = {
  pdf: { name: 'unpdf', version: `${LIBRARY_VERSIONS.unpdf} (pdf.js ${LIBRARY_VERSIONS['pdf.js']})` },
  docx: { name: 'mammoth + html-to-text', version: `${LIBRARY_VERSIONS.mammoth} + ${LIBRARY_VERSIONS['html-to-text']}` },
  html: { name: 'html-to-text', version: LIBRARY_VERSIONS['html-to-text'] },
  markdown: { name: 'markdown-it', version: LIBRARY_VERSIONS['markdown-it'] },
  text: { name: 'TextDecoder (Node.js)', version: process.versions.node },
};

/** The text and structure of a whole document in one of the formats parsed in memory. */
export async function extractWhole(format: WholeFormat, bytes: Uint8Array): Promise<ExtractedDocument> {
  switch (format) {
    case 'pdf':
      return extractPdf(bytes);
    case 'docx':
      return withText('DOCX', await extractDocx(bytes));
    case 'html':
      return withText('HTML', extractHtml(decodeWhole(bytes, textEncodingOf(bytes))));
    case 'markdown':
      return withText('Markdown', extractMarkdown(decodeWhole(bytes, textEncodingOf(bytes))));
  }
}

/** A document with nothing but whitespace has nothing to embed: FAILED, rather than an empty output. */
function withText(name: string, document: ExtractedDocument): ExtractedDocument {
  if (!/\S/.test(document.text)) throw new BadDocumentError(`${name} has no text to chunk: it holds only whitespace or markup`);
  return document;
}
