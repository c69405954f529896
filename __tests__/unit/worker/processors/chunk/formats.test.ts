import { detectFormat, extensionOf, sniff, SUPPORTED_TYPES } from '../../../../../worker/processors/chunk/formats';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (value: string): Uint8Array => Buffer.from(value);
const PDF = text('%PDF-1.7\n%âãÏÓ\n1 0 obj');
const ZIP = bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00);
const PNG = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
const UTF16LE = Buffer.from('\ufeffhello', 'utf16le');

describe('sniff', () => {
  it.each([
    { case: 'a PDF', head: PDF, expected: { kind: 'pdf' } },
    { case: 'a ZIP archive', head: ZIP, expected: { kind: 'zip' } },
    { case: 'an empty ZIP archive', head: bytes(0x50, 0x4b, 0x05, 0x06), expected: { kind: 'zip' } },
    { case: 'a PNG', head: PNG, expected: { kind: 'binary', name: 'a PNG image' } },
    { case: 'a JPEG', head: bytes(0xff, 0xd8, 0xff, 0xe0), expected: { kind: 'binary', name: 'a JPEG image' } },
    { case: 'a gzip archive', head: bytes(0x1f, 0x8b, 8, 0), expected: { kind: 'binary', name: 'a gzip archive' } },
    { case: 'a legacy .doc', head: bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1), expected: { kind: 'binary', name: 'an OLE2 file (a legacy .doc, .xls or .ppt)' } },
    { case: 'a WebP image', head: Buffer.concat([text('RIFF'), bytes(1, 2, 3, 4), text('WEBPVP8 ')]), expected: { kind: 'binary', name: 'a WebP image' } },
    { case: 'bytes with NUL', head: bytes(1, 2, 0, 4), expected: { kind: 'binary', name: 'binary data (it holds NUL bytes)' } },
    { case: 'plain text', head: text('Hello, world.\n'), expected: { kind: 'text', html: false } },
    { case: 'text that only mentions %PDF- later', head: text('The header is %PDF-1.7.'), expected: { kind: 'text', html: false } },
    { case: 'text starting with RIFF but no WEBP', head: text('RIFF is a container format.'), expected: { kind: 'text', html: false } },
    { case: 'UTF-16 text with a BOM (its NUL bytes are characters)', head: UTF16LE, expected: { kind: 'text', html: false } },
    { case: 'an HTML document', head: text('\n  <!DOCTYPE html>\n<html><body>x</body></html>'), expected: { kind: 'text', html: true } },
    { case: 'an HTML fragment after a comment', head: text('<!-- saved page --><p>Hello</p>'), expected: { kind: 'text', html: true } },
    { case: 'UTF-16 HTML', head: Buffer.from('\ufeff<html><body>x</body></html>', 'utf16le'), expected: { kind: 'text', html: true } },
    { case: 'Markdown with an inline tag later', head: text('# Title\n\n<p>x</p>'), expected: { kind: 'text', html: false } },
  ])('$case', ({ head, expected }) => {
    expect(sniff(head)).toEqual(expected);
  });
});

describe('detectFormat', () => {
  it.each([
    { case: '.pdf with PDF content', key: 'data/input/a/report.pdf', head: PDF, format: 'pdf' },
    { case: 'an upper-case extension', key: 'data/input/REPORT.PDF', head: PDF, format: 'pdf' },
    { case: '.docx with ZIP content', key: 'data/input/letter.docx', head: ZIP, format: 'docx' },
    { case: '.html', key: 'data/input/page.html', head: text('<html></html>'), format: 'html' },
    { case: '.htm', key: 'data/input/page.htm', head: text('<p>hi</p>'), format: 'html' },
    { case: '.md', key: 'data/input/notes.md', head: text('# Notes'), format: 'markdown' },
    { case: '.markdown', key: 'data/input/notes.markdown', head: text('Notes\n====='), format: 'markdown' },
    { case: '.txt', key: 'data/input/notes.txt', head: text('plain'), format: 'text' },
    { case: '.text in UTF-16', key: 'data/input/notes.text', head: UTF16LE, format: 'text' },
    { case: 'no extension, text', key: 'data/input/README', head: text('plain'), format: 'text' },
    { case: 'no extension, HTML', key: 'data/input/index', head: text('<!doctype html><title>x</title>'), format: 'html' },
    { case: 'no extension, PDF', key: 'data/input/scan-0001', head: PDF, format: 'pdf' },
    { case: 'no extension, ZIP', key: 'data/input/letter', head: ZIP, format: 'docx' },
    { case: 'a dot file (no extension)', key: 'data/input/.notes', head: text('plain'), format: 'text' },
  ])('$case → $format', ({ key, head, format }) => {
    expect(detectFormat(key, head)).toEqual({ ok: true, format });
  });

  it.each([
    { case: 'a PDF named .docx', key: 'data/input/x.docx', head: PDF, reason: 'extension .docx does not match the content: the file is a PDF document, not a DOCX document' },
    { case: 'text named .pdf', key: 'data/input/x.pdf', head: text('hello'), reason: 'extension .pdf does not match the content: the file is text, not a PDF document' },
    { case: 'a ZIP named .txt', key: 'data/input/x.txt', head: ZIP, reason: 'extension .txt does not match the content: the file is a ZIP archive (such as DOCX or XLSX), not text' },
    { case: 'a PNG named .md', key: 'data/input/x.md', head: PNG, reason: 'extension .md does not match the content: the file is a PNG image, not Markdown' },
    { case: 'a PDF named .html', key: 'data/input/x.html', head: PDF, reason: 'extension .html does not match the content: the file is a PDF document, not HTML' },
    { case: 'an unsupported extension', key: 'data/input/sheet.xlsx', head: ZIP, reason: `unsupported type .xlsx (the file is a ZIP archive (such as DOCX or XLSX)); supported are ${SUPPORTED_TYPES}` },
    { case: 'an unsupported text extension', key: 'data/input/table.csv', head: text('a,b'), reason: `unsupported type .csv (the file is text); supported are ${SUPPORTED_TYPES}` },
    { case: 'a binary file without extension', key: 'data/input/photo', head: PNG, reason: `unsupported type: the file is a PNG image; supported are ${SUPPORTED_TYPES}` },
  ])('refuses $case', ({ key, head, reason }) => {
    expect(detectFormat(key, head)).toEqual({ ok: false, reason });
  });

  it('lists every supported type in its reason', () => {
    expect(SUPPORTED_TYPES).toMatch(/PDF.*DOCX.*HTML.*Markdown.*plain text.*UTF-8.*UTF-16/);
  });
});

describe('extensionOf', () => {
  it.each([
    { key: 'data/input/a.pdf', expected: 'pdf' },
    { key: 'data/input/archive.tar.gz', expected: 'gz' },
    { key: 'data/input/dir.v2/README', expected: undefined },
    { key: 'data/input/.env', expected: undefined },
    { key: 'data/input/trailing.', expected: undefined },
  ])('$key → $expected', ({ key, expected }) => {
    expect(extensionOf(key)).toBe(expected);
  });
});
