import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * No runtime reaches into another runtime's folder: a piece two of them need lives in runtime/ or
 * contracts/, which import no runtime at all. Read from the import statements of the source files.
 */
const ROOT = path.join(__dirname, '..', '..');
const RUNTIMES = ['functions', 'worker', 'ops', 'local'] as const;
const SHARED = ['runtime', 'contracts'] as const;

/** `from '…'`, `import('…')` and `require('…')` specifiers of one file. */
function importSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((match) => match[1]);
}

/** The top-level folder of the repository a relative import from `file` lands in; undefined for packages. */
function topFolderOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), specifier)).split(path.sep)[0];
}

function crossings(folders: readonly string[], forbidden: (from: string, to: string) => boolean): string[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|js)$/.test(file))
      .map((file) => path.join(folder, file))
      .flatMap((file) =>
        importSpecifiers(readFileSync(path.join(ROOT, file), 'utf8'))
          .filter((specifier) => {
            const target = topFolderOf(file, specifier);
            return target !== undefined && forbidden(folder, target);
          })
          .map((specifier) => `${file} imports ${specifier}`),
      ),
  );
}

describe('the import rule', () => {
  it('reads every kind of import statement', () => {
    const source = [
      "import { a } from '../worker/a';",
      "import type { B } from \"../ops/b\";",
      "import '../local/side-effect';",
      "const c = await import('../functions/c');",
      "const d = require('../worker/d');",
      "export * from './e';",
      "import {\n  f,\n} from '../local/f';",
    ].join('\n');

    expect(importSpecifiers(source)).toEqual(['../worker/a', '../ops/b', '../local/side-effect', '../functions/c', '../worker/d', './e', '../local/f']);
  });

  it('no runtime folder imports another runtime folder', () => {
    expect(crossings(RUNTIMES, (from, to) => to !== from && (RUNTIMES as readonly string[]).includes(to))).toEqual([]);
  });

  it('runtime/ and contracts/ import no runtime folder', () => {
    expect(crossings(SHARED, (_from, to) => (RUNTIMES as readonly string[]).includes(to))).toEqual([]);
  });
});
