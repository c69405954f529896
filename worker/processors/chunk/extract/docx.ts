import type { ExtractedDocument } from '../document';
import { BadDocumentError } from '../failures';
import { extractHtml } from './html';

/**
 * The text of a Word document: mammoth turns it into semantic HTML (Heading 1…6 styles become h1…h6), which
 * the HTML extractor renders. A file that is not a ZIP archive, or an archive without a Word document in it,
 * is corrupt or not a DOCX.
 */
export async function extractDocx(bytes: Uint8Array): Promise<ExtractedDocument> {
  // Loaded on first use, like every library only the chunk processor needs (tokenizer.ts).
  const { default: mammoth } = await import('mammoth');
  // Images are left out without being read: only their alt text could be chunked, and html-to-text skips them.
  const noImages = mammoth.images.imgElement(async () => ({ src: '' }));
  let html: string;
  try {
    ({ value: html } = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      { convertImage: noImages, ignoreEmptyParagraphs: true, externalFileAccess: false },
    ));
  } catch (error) {
    throw new BadDocumentError(docxError(error));
  }
  return extractHtml(html);
}

/** mammoth's and JSZip's messages, said as what they mean for the file. */
function docxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/main document part/i.test(message)) return 'DOCX is not a Word document: the ZIP archive has no word/document.xml';
  return `DOCX is corrupt or truncated: ${message}`;
}
