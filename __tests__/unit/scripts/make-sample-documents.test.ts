import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { definePDFJSModule, getDocumentProxy, getResolvedPDFJS } from 'unpdf';
import { makeBadSamples, makeGoodSamples } from '../../../local/samples/documents';
import { writeSampleDocuments } from '../../../scripts/make-sample-documents';

describe('scripts/make-sample-documents.ts', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'samples-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('writes every readable sample under good/ and every bad input under bad/', async () => {
    const lines = await writeSampleDocuments(folder);

    const [good, bad] = await Promise.all([makeGoodSamples(), makeBadSamples()]);
    expect(readdirSync(path.join(folder, 'good')).sort()).toEqual(good.map((sample) => sample.name).sort());
    expect(readdirSync(path.join(folder, 'bad')).sort()).toEqual(bad.map((sample) => sample.name).sort());
    expect(lines).toHaveLength(good.length + bad.length);
    // Markdown and text are the repository's text as it is: byte for byte the same on every run.
    expect(readFileSync(path.join(folder, 'good', 'field-guide.md'))).toEqual(Buffer.from(good.find((sample) => sample.name === 'field-guide.md')!.bytes));
    expect(readFileSync(path.join(folder, 'bad', 'empty.txt')).length).toBe(0);
  });

  it('makes the scan of images only: each page paints an image, and no page shows text', async () => {
    const scan = (await makeBadSamples()).find((sample) => sample.name === 'scanned.pdf')!.bytes;
    await definePDFJSModule(() => import('unpdf/pdfjs'));
    const { OPS } = (await getResolvedPDFJS()) as { OPS: Record<string, number> };
    const pdf = await getDocumentProxy(new Uint8Array(scan), { verbosity: 0 });

    const operators: number[][] = [];
    for (let number = 1; number <= pdf.numPages; number++) operators.push((await (await pdf.getPage(number)).getOperatorList()).fnArray);

    expect(operators.length).toBe(2);
    for (const page of operators) {
      expect(page).toContain(OPS.paintImageXObject);
      expect(page.filter((operator) => [OPS.showText, OPS.showSpacedText, OPS.nextLineShowText].includes(operator))).toEqual([]);
    }
    await pdf.loadingTask.destroy();
  });
});
