import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LIBRARY_VERSIONS } from '../../../../../worker/processors/chunk/versions';

const REPO = path.join(__dirname, '../../../../..');

describe('LIBRARY_VERSIONS', () => {
  it.each(Object.entries(LIBRARY_VERSIONS).filter(([name]) => name !== 'pdf.js'))('%s is the installed version', (name, version) => {
    const manifest = JSON.parse(readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };

    expect(version).toBe(manifest.version);
  });

  it('names the PDF.js build that unpdf bundles', async () => {
    const pdfjs = (await import('unpdf/pdfjs')) as { version: string };

    expect(LIBRARY_VERSIONS['pdf.js']).toBe(pdfjs.version);
  });
});
