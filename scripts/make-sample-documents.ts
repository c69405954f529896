/**
 * Writes the chunk processor's sample documents to a folder: the readable ones (PDF, DOCX, HTML, Markdown, text in
 * UTF-8 and UTF-16) and the bad inputs (a scan, an encrypted PDF, truncated files, wrong extensions, Latin-1 text,
 * an empty file), all generated from local/samples/field-guide.md (local/samples/documents.ts), nothing downloaded.
 * Usage: `tsx scripts/make-sample-documents.ts [folder]` (default `sample-documents/`); prints what it wrote.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeBadSamples, makeGoodSamples } from '../local/samples/documents';

export async function writeSampleDocuments(folder: string): Promise<string[]> {
  const lines: string[] = [];
  for (const [kind, samples] of [
    ['good', await makeGoodSamples()],
    ['bad', await makeBadSamples()],
  ] as const) {
    mkdirSync(path.join(folder, kind), { recursive: true });
    for (const sample of samples) {
      const file = path.join(folder, kind, sample.name);
      writeFileSync(file, sample.bytes);
      const expected = sample.expect.outcome === 'chunks' ? `chunks as ${sample.expect.format}` : `fails: ${sample.expect.reason.source}`;
      lines.push(`${file}  ${sample.bytes.length} bytes  ${sample.description}  (${expected})`);
    }
  }
  return lines;
}

if (require.main === module) {
  writeSampleDocuments(path.resolve(process.argv[2] ?? 'sample-documents')).then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(`make-sample-documents: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    },
  );
}
