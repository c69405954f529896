import { readFileSync } from 'node:fs';
import { makeGoodSamples, SAMPLE_TEXT_PATH, type SampleDocument } from '../../../../../local/samples/documents';
import { extractWhole } from '../../../../../worker/processors/chunk/extract';
import { extractHtml } from '../../../../../worker/processors/chunk/extract/html';
import { extractMarkdown } from '../../../../../worker/processors/chunk/extract/markdown';

const GUIDE_HEADINGS = [
  'A field guide to document ingestion',
  'Why documents are cut into chunks',
  'Tokens, not characters',
  'Overlap',
  'What can go wrong',
  'Reprocessing',
  'Formats at a glance',
  'Closing notes',
];

let samples: SampleDocument[];
beforeAll(async () => {
  samples = await makeGoodSamples();
});
const sample = (name: string): SampleDocument => samples.find((candidate) => candidate.name === name)!;

describe('extractHtml', () => {
  it('renders blocks on their own lines, drops scripts, styles, images and link targets, and finds the headings', () => {
    const html = `<!doctype html><html><head><title>T</title><style>p{}</style><script>var x = 1;</script></head><body>
      <h1>  Hello   <em>world</em> </h1><p>First <a href="https://example.com/">link</a>. <img src="x.png" alt="pic">Second.</p>
      <h2>Sub</h2><ul><li>one</li><li>two</li></ul><h3></h3><h2>Last <b>one</b></h2><p>end</p></body></html>`;

    const document = extractHtml(html);

    expect(document.text).toBe('Hello world\n\nFirst link. Second.\n\nSub\n\n * one\n * two\n\n\n\nLast one\n\nend');
    expect(document.headings).toEqual([
      { start: 0, level: 1, text: 'Hello world' },
      { start: 34, level: 2, text: 'Sub' },
      { start: 56, level: 2, text: 'Last one' },
    ]);
    for (const heading of document.headings) expect(document.text.slice(heading.start, heading.start + heading.text.length)).toBe(heading.text);
  });

  it('keeps private-use characters of the document, which are not its markers', () => {
    const document = extractHtml('<h1>A \ue000 heading</h1><p>x &#xE000;&#xE002; y</p>');

    expect(document.text).toBe('A \ue000 heading\n\nx \ue000\ue002 y');
    expect(document.headings).toEqual([{ start: 0, level: 1, text: 'A \ue000 heading' }]);
  });
});

describe('extractMarkdown', () => {
  it.each([
    { case: 'ATX headings', source: '# One\n\ntext\n\n## Two ##\n\nmore', headings: [[0, 1, 'One'], [13, 2, 'Two']] },
    { case: 'setext headings', source: 'One\n===\n\ntext\n\nTwo\n---\n', headings: [[0, 1, 'One'], [15, 2, 'Two']] },
    { case: 'an indented heading starts at its first character', source: 'text\n\n   ### Three\n', headings: [[9, 3, 'Three']] },
    { case: 'inline markup reduced to its text', source: '# Install *now* with `npm ci`\n', headings: [[0, 1, 'Install now with npm ci']] },
    { case: 'CRLF line ends', source: 'intro\r\n\r\n# Title\r\nbody\r\n', headings: [[9, 1, 'Title']] },
    { case: 'no heading inside a fenced code block', source: '```\n# not a heading\n```\n\n# Real\n', headings: [[25, 1, 'Real']] },
    { case: 'no heading inside an indented code block', source: 'text\n\n    # not a heading\n', headings: [] },
  ])('$case', ({ source, headings }) => {
    const document = extractMarkdown(source);

    expect(document.text).toBe(source);
    expect(document.headings.map((heading) => [heading.start, heading.level, heading.text])).toEqual(headings);
  });
});

describe('extractWhole on the sample documents', () => {
  it('finds the guide’s headings in the Markdown, HTML and DOCX samples, where the text says them', async () => {
    for (const name of ['field-guide.md', 'field-guide.html', 'field-guide.docx']) {
      const { bytes, expect: expectation } = sample(name);
      if (expectation.outcome !== 'chunks' || expectation.format === 'text' || expectation.format === 'pdf') throw new Error(name);

      const document = await extractWhole(expectation.format, bytes);

      expect(document.headings.map((heading) => heading.text)).toEqual(GUIDE_HEADINGS);
      // The heading's line, from where it starts (Markdown keeps its `#`).
      for (const heading of document.headings) expect(document.text.slice(heading.start).split('\n')[0]).toContain(heading.text);
    }
  });

  it('reads the PDF page by page: each page’s text starts where pageStarts says, pages a blank line apart', async () => {
    const document = await extractWhole('pdf', sample('field-guide.pdf').bytes);

    expect(document.pageStarts).toEqual([0, expect.any(Number)]);
    const secondPage = document.pageStarts![1];
    expect(document.text.slice(secondPage - 2, secondPage)).toBe('\n\n');
    expect(document.text.startsWith('A field guide to document ingestion\nThis guide is the sample text')).toBe(true);
    expect(document.text).toContain('Closing notes');
    expect(document.headings).toEqual([]);
  });

  it('keeps every word of the guide in each format', async () => {
    const words = new Set(readFileSync(SAMPLE_TEXT_PATH, 'utf8').match(/[A-Za-z]{4,}/g));
    for (const name of ['field-guide.pdf', 'field-guide.docx', 'field-guide.html', 'field-guide.md']) {
      const { bytes, expect: expectation } = sample(name);
      if (expectation.outcome !== 'chunks' || expectation.format === 'text') throw new Error(name);

      const document = await extractWhole(expectation.format, bytes);

      const found = new Set(document.text.match(/[A-Za-z]{4,}/g));
      expect([...words].filter((word) => !found.has(word))).toEqual([]);
    }
  });
});
