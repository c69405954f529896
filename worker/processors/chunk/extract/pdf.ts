import { definePDFJSModule, getDocumentProxy } from 'unpdf';
import type { ExtractedDocument } from '../document';
import { BadDocumentError } from '../failures';

/** Pages are separated by a blank line: a paragraph-level cut, and no word runs into the next page's first. */
const PAGE_SEPARATOR = '\n\n';
/** A PDF ends with `%%EOF` (ISO 32000-1, 7.5.5); writers may add a little after it, readers look this far back. */
const EOF_MARKER_WINDOW = 1024;
/** pdf.js's VerbosityLevel.ERRORS: no warnings on the worker's stdout. */
const ERRORS_ONLY = 0;

let pdfJsLoaded: Promise<void> | undefined;

/**
 * PDF.js as unpdf ships it for servers (no worker thread, no canvas), loaded once: the import is written here,
 * not left to unpdf, so that the worker bundle includes it and jest can map it (jest.config.js).
 */
function loadPdfJs(): Promise<void> {
  pdfJsLoaded ??= definePDFJSModule(() => import('unpdf/pdfjs'));
  return pdfJsLoaded;
}

/**
 * The text layer of every page, page by page (one page's objects in memory at a time, beyond the document's
 * own structure). A PDF without `%%EOF` is truncated; one pdf.js cannot open is corrupt or encrypted; one
 * without any text is a scan that needs OCR.
 */
export async function extractPdf(bytes: Uint8Array): Promise<ExtractedDocument> {
  if (!endsWithEofMarker(bytes)) {
    throw new BadDocumentError('PDF is truncated: it does not end with the %%EOF marker (an incomplete upload or copy?)');
  }
  await loadPdfJs();
  let pdf;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy, the caller still hashes its own.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: ERRORS_ONLY, stopAtErrors: true });
  } catch (error) {
    throw openError(error);
  }
  try {
    const pages: string[] = [];
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      const parts: string[] = [];
      for (const item of content.items) {
        if ('str' in item) parts.push(item.str, item.hasEOL ? '\n' : '');
      }
      pages.push(parts.join('').trimEnd());
      page.cleanup();
      // pdf.js settles its promises as microtasks: let timers (the visibility heartbeat) run between pages.
      await new Promise(setImmediate);
    }
    if (pages.every((text) => text.trim() === '')) {
      throw new BadDocumentError(
        `PDF has no extractable text on any of its ${pdf.numPages} page(s): it has no text layer, like a scan; run OCR on it first`,
      );
    }
    const pageStarts: number[] = [];
    let offset = 0;
    for (const text of pages) {
      pageStarts.push(offset);
      offset += text.length + PAGE_SEPARATOR.length;
    }
    return { text: pages.join(PAGE_SEPARATOR), headings: [], pageStarts };
  } catch (error) {
    if (error instanceof BadDocumentError || !isPdfJsDocumentError(error)) throw error;
    throw new BadDocumentError(`PDF is corrupt: ${describe(error)}`);
  } finally {
    await pdf.loadingTask.destroy();
  }
}

function endsWithEofMarker(bytes: Uint8Array): boolean {
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(-EOF_MARKER_WINDOW);
  return tail.includes('%%EOF', 0, 'latin1');
}

/**
 * The names pdf.js gives what it finds wrong with a document (src/shared/util.js): a broken structure, a stream
 * it cannot decode, an error its parser wrapped. Anything else (the module failing to load, say) is about the
 * worker, not the file, and stays transient.
 */
const PDF_JS_DOCUMENT_ERRORS = new Set(['InvalidPDFException', 'FormatError', 'UnknownErrorException', 'XRefParseException', 'MissingPDFException']);

function isPdfJsDocumentError(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && PDF_JS_DOCUMENT_ERRORS.has(name);
}

/** pdf.js's exceptions, named by class: a password is a PasswordException, a broken file an InvalidPDFException. */
function openError(error: unknown): unknown {
  if ((error as { name?: unknown } | undefined)?.name === 'PasswordException') {
    return new BadDocumentError('PDF is encrypted: it needs a password to open; remove the password and submit it again');
  }
  return isPdfJsDocumentError(error) ? new BadDocumentError(`PDF is corrupt: ${describe(error)}`) : error;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message === '' ? error.name : error.message;
}
