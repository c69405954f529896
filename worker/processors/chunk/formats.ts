import { TextDecoder } from 'node:util';
import type { DocumentFormat } from '../../../contracts/chunks';

/**
 * Which format a file is, from its extension and its first bytes (its magic number), and the clear reason when
 * the two disagree or the format is not one the chunk processor reads.
 */

const FORMAT_BY_EXTENSION: Readonly<Record<string, DocumentFormat>> = {
  pdf: 'pdf',
  docx: 'docx',
  html: 'html',
  htm: 'html',
  md: 'markdown',
  markdown: 'markdown',
  txt: 'text',
  text: 'text',
};

/** How a reason names each format. */
export const FORMAT_LABELS: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'PDF',
  docx: 'DOCX',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'text',
};

/** The supported types as a reason lists them. */
export const SUPPORTED_TYPES =
  'PDF (.pdf), DOCX (.docx), HTML (.html, .htm), Markdown (.md, .markdown) and plain text (.txt, .text, or no extension) in UTF-8 or in UTF-16 with a byte order mark';

/** Bytes the detection looks at: enough for every signature below and for a text's first lines. */
export const SNIFF_BYTES = 8192;

/** What the first bytes say. */
export type Content =
  | { readonly kind: 'pdf' }
  | { readonly kind: 'zip' }
  | { readonly kind: 'text'; readonly html: boolean }
  | { readonly kind: 'binary'; readonly name: string };

/** `%PDF-`: first in the file (ISO 32000-1, 7.5.2). */
const PDF_SIGNATURE = [0x25, 0x50, 0x44, 0x46, 0x2d];

/**
 * Signatures of common files that are none of the supported formats, so a reason can say what the file is.
 * Each holds a byte that text does not start with (or, for GIF and WebP, is long enough not to be prose);
 * other binary files are told by their NUL bytes.
 */
const BINARY_SIGNATURES: ReadonlyArray<{ readonly name: string; readonly parts: ReadonlyArray<readonly [number, readonly number[]]> }> = [
  { name: 'a PNG image', parts: [[0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]] },
  { name: 'a JPEG image', parts: [[0, [0xff, 0xd8, 0xff]]] },
  { name: 'a GIF image', parts: [[0, [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]]] },
  { name: 'a GIF image', parts: [[0, [0x47, 0x49, 0x46, 0x38, 0x37, 0x61]]] },
  { name: 'a WebP image', parts: [[0, [0x52, 0x49, 0x46, 0x46]], [8, [0x57, 0x45, 0x42, 0x50]]] },
  { name: 'a gzip archive', parts: [[0, [0x1f, 0x8b]]] },
  { name: 'a 7-Zip archive', parts: [[0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]]] },
  { name: 'a RAR archive', parts: [[0, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]]] },
  { name: 'an OLE2 file (a legacy .doc, .xls or .ppt)', parts: [[0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]]] },
  { name: 'an ELF executable', parts: [[0, [0x7f, 0x45, 0x4c, 0x46]]] },
];

const UTF16_BOMS: readonly (readonly number[])[] = [
  [0xff, 0xfe],
  [0xfe, 0xff],
];

/** A document opens with one of these (after whitespace and comments): the WHATWG MIME sniffing tags, in short. */
const HTML_START = /^(?:\s|<!--[\s\S]*?-->)*<(?:!doctype\s+html|html|head|body|title|meta|h[1-6]|p|div|table|br)[\s/>]/i;

/** What `head` (the first bytes of a file, up to {@link SNIFF_BYTES}) is. */
export function sniff(head: Uint8Array): Content {
  if (startsWith(head, PDF_SIGNATURE)) return { kind: 'pdf' };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return { kind: 'zip' };
  for (const signature of BINARY_SIGNATURES) {
    if (signature.parts.every(([at, bytes]) => startsWith(head, bytes, at))) return { kind: 'binary', name: signature.name };
  }
  const utf16 = UTF16_BOMS.some((bom) => startsWith(head, bom));
  // No text format holds NUL; UTF-16 text holds one in every ASCII character.
  if (!utf16 && head.includes(0)) return { kind: 'binary', name: 'binary data (it holds NUL bytes)' };
  return { kind: 'text', html: HTML_START.test(leadingText(head, utf16)) };
}

export type Detection = { readonly ok: true; readonly format: DocumentFormat } | { readonly ok: false; readonly reason: string };

/**
 * The format of the file at `key` whose first bytes are `head`: the extension names the format, and the content
 * must be that format; without an extension, the content decides.
 */
export function detectFormat(key: string, head: Uint8Array): Detection {
  const content = sniff(head);
  const extension = extensionOf(key);
  if (extension === undefined) {
    switch (content.kind) {
      case 'pdf':
        return { ok: true, format: 'pdf' };
      case 'zip':
        return { ok: true, format: 'docx' };
      case 'text':
        return { ok: true, format: content.html ? 'html' : 'text' };
      case 'binary':
        return { ok: false, reason: `unsupported type: the file is ${content.name}; supported are ${SUPPORTED_TYPES}` };
    }
  }
  const format = FORMAT_BY_EXTENSION[extension.toLowerCase()];
  if (format === undefined) {
    return { ok: false, reason: `unsupported type .${extension} (the file is ${describe(content)}); supported are ${SUPPORTED_TYPES}` };
  }
  if (matches(format, content)) return { ok: true, format };
  return { ok: false, reason: `extension .${extension} does not match the content: the file is ${describe(content)}, not ${FORMAT_NAMES[format]}` };
}

const FORMAT_NAMES: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'a PDF document',
  docx: 'a DOCX document',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'text',
};

function matches(format: DocumentFormat, content: Content): boolean {
  switch (format) {
    case 'pdf':
      return content.kind === 'pdf';
    case 'docx':
      return content.kind === 'zip';
    case 'html':
    case 'markdown':
    case 'text':
      return content.kind === 'text';
  }
}

function describe(content: Content): string {
  switch (content.kind) {
    case 'pdf':
      return 'a PDF document';
    case 'zip':
      return 'a ZIP archive (such as DOCX or XLSX)';
    case 'text':
      return content.html ? 'HTML' : 'text';
    case 'binary':
      return content.name;
  }
}

/** The extension of the key's last segment, without the dot; undefined when it has none (`README`, `.env`). */
export function extensionOf(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? undefined : name.slice(dot + 1);
}

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((byte, index) => bytes[at + index] === byte);
}

/** The first few hundred characters, decoded leniently: enough to see whether a text opens like HTML. */
function leadingText(head: Uint8Array, utf16: boolean): string {
  const sample = head.subarray(0, 1024);
  if (!utf16) return new TextDecoder('utf-8').decode(sample);
  return new TextDecoder(sample[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(sample);
}
