import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  StandardFonts,
  type PDFFont,
  type PDFPage,
} from '@cantoo/pdf-lib';
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import MarkdownIt from 'markdown-it';
import type { DocumentFormat } from '../../contracts';

/**
 * The chunk processor's sample documents, generated from one text in the repository (field-guide.md): the
 * same words as PDF, DOCX, HTML, Markdown and plain text, and the bad inputs it must refuse. Nothing is
 * downloaded. `npm run local -- --demo`, the tests and the benchmark use them; scripts/make-sample-documents.ts
 * writes them to a folder.
 */

export const SAMPLE_TEXT_PATH = path.join(__dirname, 'field-guide.md');

export type SampleExpectation =
  | { readonly outcome: 'chunks'; readonly format: DocumentFormat }
  | { readonly outcome: 'fails'; readonly reason: RegExp };

export interface SampleDocument {
  /** The file name, under `data/input/` in the demo. */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly description: string;
  readonly expect: SampleExpectation;
}

/** The readable samples, one per format (and UTF-16 text). */
export async function makeGoodSamples(): Promise<SampleDocument[]> {
  const source = readFileSync(SAMPLE_TEXT_PATH, 'utf8');
  const blocks = blocksOf(source);
  const chunks = (format: DocumentFormat): SampleExpectation => ({ outcome: 'chunks', format });
  return [
    { name: 'field-guide.pdf', bytes: await pdfOf(blocks), description: 'PDF with a text layer', expect: chunks('pdf') },
    { name: 'field-guide.docx', bytes: await docxOf(blocks), description: 'Word document with headings', expect: chunks('docx') },
    { name: 'field-guide.html', bytes: Buffer.from(htmlOf(source)), description: 'HTML page', expect: chunks('html') },
    { name: 'field-guide.md', bytes: Buffer.from(source), description: 'Markdown source', expect: chunks('markdown') },
    { name: 'field-guide.txt', bytes: Buffer.from(plainTextOf(blocks)), description: 'plain text, UTF-8', expect: chunks('text') },
    {
      name: 'field-guide-utf16.txt',
      bytes: Buffer.from(`\ufeff${plainTextOf(blocks)}`, 'utf16le'),
      description: 'plain text, UTF-16 with a byte order mark',
      expect: chunks('text'),
    },
  ];
}

/** Every bad input of issue 22, each with the reason the processor must give. */
export async function makeBadSamples(): Promise<SampleDocument[]> {
  const source = readFileSync(SAMPLE_TEXT_PATH, 'utf8');
  const blocks = blocksOf(source);
  const pdf = await pdfOf(blocks);
  const docx = await docxOf(blocks);
  const fails = (reason: RegExp): SampleExpectation => ({ outcome: 'fails', reason });
  return [
    { name: 'scanned.pdf', bytes: await scannedPdf(), description: 'a scan: one image per page, no text layer', expect: fails(/no extractable text.*OCR/) },
    { name: 'encrypted.pdf', bytes: await encryptedPdf(blocks), description: 'a PDF that needs a password', expect: fails(/PDF is encrypted/) },
    { name: 'truncated.pdf', bytes: pdf.subarray(0, Math.floor(pdf.length / 2)), description: 'half of a PDF', expect: fails(/PDF is truncated/) },
    { name: 'truncated.docx', bytes: docx.subarray(0, Math.floor(docx.length / 2)), description: 'half of a DOCX', expect: fails(/DOCX is corrupt or truncated/) },
    { name: 'really-a-pdf.docx', bytes: pdf, description: 'a PDF named .docx', expect: fails(/extension \.docx does not match the content: the file is a PDF document/) },
    { name: 'really-text.pdf', bytes: Buffer.from(source), description: 'text named .pdf', expect: fails(/extension \.pdf does not match the content: the file is text/) },
    { name: 'spreadsheet.xlsx', bytes: docx, description: 'an unsupported type', expect: fails(/unsupported type \.xlsx .*supported are PDF/) },
    { name: 'latin-1.txt', bytes: Buffer.from('Caf\u00e9 cr\u00e8me, na\u00efve fa\u00e7ade.\n', 'latin1'), description: 'text that is not UTF-8', expect: fails(/is not valid UTF-8 text/) },
    { name: 'empty.txt', bytes: new Uint8Array(0), description: 'a zero-byte file', expect: fails(/the file is empty \(0 bytes\)/) },
  ];
}

type Block =
  | { readonly kind: 'heading'; readonly level: number; readonly text: string }
  | { readonly kind: 'paragraph' | 'item'; readonly text: string }
  | { readonly kind: 'code'; readonly lines: readonly string[] }
  | { readonly kind: 'table'; readonly rows: readonly (readonly string[])[] };

const markdown = new MarkdownIt();

/** The source's blocks, in order, with inline markup reduced to its text. */
function blocksOf(source: string): Block[] {
  const tokens = markdown.parse(source, {});
  const blocks: Block[] = [];
  let inItem = false;
  let row: string[] | undefined;
  let rows: string[][] = [];
  tokens.forEach((token, index) => {
    const inlineText = (): string =>
      (tokens[index + 1]?.children ?? []).map((child) => (child.type === 'softbreak' ? ' ' : child.content)).join('');
    switch (token.type) {
      case 'heading_open':
        blocks.push({ kind: 'heading', level: Number(token.tag.slice(1)), text: inlineText() });
        break;
      case 'list_item_open':
        inItem = true;
        break;
      case 'list_item_close':
        inItem = false;
        break;
      case 'paragraph_open':
        blocks.push({ kind: inItem ? 'item' : 'paragraph', text: inlineText() });
        break;
      case 'fence':
        blocks.push({ kind: 'code', lines: token.content.replace(/\n$/, '').split('\n') });
        break;
      case 'tr_open':
        row = [];
        break;
      case 'th_open':
      case 'td_open':
        row?.push(inlineText());
        break;
      case 'tr_close':
        if (row) rows.push(row);
        break;
      case 'table_close':
        blocks.push({ kind: 'table', rows });
        rows = [];
        break;
    }
  });
  return blocks;
}

function plainTextOf(blocks: readonly Block[]): string {
  return `${blocks
    .map((block) => {
      switch (block.kind) {
        case 'heading':
        case 'paragraph':
          return block.text;
        case 'item':
          return `* ${block.text}`;
        case 'code':
          return block.lines.join('\n');
        case 'table':
          return block.rows.map((cells) => cells.join('\t')).join('\n');
      }
    })
    .join('\n\n')}\n`;
}

function htmlOf(source: string): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>A field guide to document ingestion</title></head>\n<body>\n${markdown.render(source)}</body>\n</html>\n`;
}

async function docxOf(blocks: readonly Block[]): Promise<Uint8Array> {
  const headingLevels = [HeadingLevel.HEADING_1, HeadingLevel.HEADING_2, HeadingLevel.HEADING_3];
  const children = blocks.flatMap((block): (Paragraph | Table)[] => {
    switch (block.kind) {
      case 'heading':
        return [new Paragraph({ text: block.text, heading: headingLevels[block.level - 1] })];
      case 'paragraph':
        return [new Paragraph(block.text)];
      case 'item':
        return [new Paragraph({ text: block.text, bullet: { level: 0 } })];
      case 'code':
        return block.lines.map((line) => new Paragraph({ children: [new TextRun({ text: line, font: 'Courier New' })] }));
      case 'table':
        return [
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: block.rows.map(
              (cells) => new TableRow({ children: cells.map((cell) => new TableCell({ children: [new Paragraph(cell)] })) }),
            ),
          }),
        ];
    }
  });
  return Packer.toBuffer(new Document({ creator: 'rag-file-pipeline', title: 'A field guide to document ingestion', sections: [{ children }] }));
}

const PAGE = { width: 595, height: 842, margin: 56 } as const;

/** A PDF without the metadata that would change each time (dates): the same blocks give the same bytes. */
async function newPdf(): Promise<PDFDocument> {
  return PDFDocument.create({ updateMetadata: false });
}

/** Lays the blocks out on A4 pages in Helvetica, wrapping lines, starting new pages as they fill. */
async function layOut(document: PDFDocument, blocks: readonly Block[]): Promise<void> {
  const regular = await document.embedFont(StandardFonts.Helvetica);
  const bold = await document.embedFont(StandardFonts.HelveticaBold);
  const mono = await document.embedFont(StandardFonts.Courier);
  let page = document.addPage([PAGE.width, PAGE.height]);
  let y = PAGE.height - PAGE.margin;
  const line = (text: string, font: PDFFont, size: number, indent = 0): void => {
    if (y - size < PAGE.margin) {
      page = document.addPage([PAGE.width, PAGE.height]);
      y = PAGE.height - PAGE.margin;
    }
    y -= size * 1.4;
    page.drawText(text, { x: PAGE.margin + indent, y, size, font });
  };
  const wrapped = (text: string, font: PDFFont, size: number, indent = 0): void => {
    for (const part of wrap(text, font, size, PAGE.width - 2 * PAGE.margin - indent)) line(part, font, size, indent);
    y -= size * 0.6;
  };
  for (const block of blocks) {
    switch (block.kind) {
      case 'heading':
        y -= 6;
        wrapped(block.text, bold, [20, 15, 12.5][block.level - 1] ?? 12);
        break;
      case 'paragraph':
        wrapped(block.text, regular, 11);
        break;
      case 'item':
        wrapped(`- ${block.text}`, regular, 11, 12);
        break;
      case 'code':
        for (const text of block.lines) line(text, mono, 9.5, 12);
        y -= 6;
        break;
      case 'table':
        for (const cells of block.rows) line(cells.join('    '), regular, 10);
        y -= 6;
        break;
    }
  }
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (current !== '' && font.widthOfTextAtSize(candidate, size) > width) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

async function pdfOf(blocks: readonly Block[]): Promise<Uint8Array> {
  const document = await newPdf();
  await layOut(document, blocks);
  return document.save();
}

/** The sample text, laid out again and again until the PDF has `pages` pages: the benchmark's long PDF. */
export async function makeLongPdf(pages: number): Promise<Uint8Array> {
  const blocks = blocksOf(readFileSync(SAMPLE_TEXT_PATH, 'utf8'));
  const document = await newPdf();
  while (document.getPageCount() < pages) await layOut(document, blocks);
  while (document.getPageCount() > pages) document.removePage(document.getPageCount() - 1);
  return document.save();
}

/** Markdown sources, `copies` times over, as one DOCX: the benchmark's long Word document. */
export async function makeLongDocx(markdownSources: readonly string[], copies: number): Promise<Uint8Array> {
  const blocks = markdownSources.flatMap(blocksOf);
  return docxOf(Array.from({ length: copies }, () => blocks).flat());
}

async function encryptedPdf(blocks: readonly Block[]): Promise<Uint8Array> {
  const document = await newPdf();
  await layOut(document, blocks);
  document.encrypt({ userPassword: 'sample-user-password', ownerPassword: 'sample-owner-password' });
  return document.save();
}

/**
 * What a scanner makes: each page one grey image, bars of dark pixels where lines of text were, and no text
 * operator at all. The image is an XObject drawn with pdf-lib's own operators.
 */
async function scannedPdf(): Promise<Uint8Array> {
  const document = await newPdf();
  const width = 300;
  const height = 420;
  const pixels = new Uint8Array(width * height).fill(235);
  for (let row = 30; row < height - 30; row += 14) {
    for (let y = row; y < row + 7; y++) pixels.fill(60, y * width + 25, y * width + width - 25 - ((row * 7) % 90));
  }
  const image = document.context.register(
    document.context.flateStream(pixels, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: width,
      Height: height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 8,
    }),
  );
  for (let index = 0; index < 2; index++) {
    const page: PDFPage = document.addPage([PAGE.width, PAGE.height]);
    const name = page.node.newXObject('Scan', image);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(PAGE.width, 0, 0, PAGE.height, 0, 0), drawObject(name), popGraphicsState());
  }
  return document.save();
}
