import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { entryProblem, listOutputs, type EntryKind } from '../../../../../worker/processors/command/outputs';

const PREFIX = 'data/output/a/b.pdf/text/';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'outputs-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('entryProblem', () => {
  it.each([
    { case: 'a regular file', relativePath: 'page-1.txt', kind: 'file' },
    { case: 'a directory', relativePath: 'pages', kind: 'directory' },
    { case: 'a nested file with spaces and unicode', relativePath: 'pages/seite ü 1.txt', kind: 'file' },
  ] as Array<{ case: string; relativePath: string; kind: EntryKind }>)('accepts $case', ({ relativePath, kind }) => {
    expect(entryProblem({ relativePath, kind, name: path.basename(relativePath) }, PREFIX)).toBeUndefined();
  });

  it.each([
    { case: 'a symbolic link', relativePath: 'x', kind: 'symlink', problem: 'the output directory holds a symbolic link, which is never followed or uploaded: ‘x’' },
    { case: 'a FIFO or socket', relativePath: 'p', kind: 'other', problem: 'the output directory holds ‘p’, which is neither a regular file nor a directory' },
    { case: 'a name with a newline', relativePath: 'a\nb', kind: 'file', problem: 'an output file name holds a control character: ‘a\ufffdb’' },
    { case: "the pipeline's manifest name", relativePath: '_rag-manifest.json', kind: 'file', problem: 'a name the pipeline keeps for its manifest' },
    { case: 'a key longer than S3 allows', relativePath: 'x'.repeat(1000), kind: 'file', problem: 'would have a key of 1025 bytes, S3 allows 1024' },
  ] as Array<{ case: string; relativePath: string; kind: EntryKind; problem: string }>)('refuses $case', ({ relativePath, kind, problem }) => {
    expect(entryProblem({ relativePath, kind, name: path.basename(relativePath) }, PREFIX)).toEqual(expect.stringContaining(problem));
  });
});

describe('listOutputs', () => {
  it('lists every regular file, nested ones included, with its key and size; empty directories add nothing', async () => {
    mkdirSync(path.join(dir, 'pages', 'empty'), { recursive: true });
    writeFileSync(path.join(dir, 'summary.txt'), 'abc');
    writeFileSync(path.join(dir, 'pages', '1.txt'), '12345');

    expect(await listOutputs(dir, PREFIX)).toEqual({
      ok: true,
      files: [
        { relativePath: 'pages/1.txt', absolutePath: path.join(dir, 'pages', '1.txt'), key: `${PREFIX}pages/1.txt`, bytes: 5 },
        { relativePath: 'summary.txt', absolutePath: path.join(dir, 'summary.txt'), key: `${PREFIX}summary.txt`, bytes: 3 },
      ],
    });
  });

  it.each([
    { case: 'a link to a file outside', make: () => symlinkSync('/etc/hostname', path.join(dir, 'h')), reason: 'symbolic link' },
    { case: 'a link to a directory outside, deep down', make: () => (mkdirSync(path.join(dir, 'a', 'b'), { recursive: true }), symlinkSync('/', path.join(dir, 'a', 'b', 'root'))), reason: '‘a/b/root’' },
    { case: 'a dangling link', make: () => symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'd')), reason: 'symbolic link' },
    { case: 'a FIFO', make: () => execFileSync('mkfifo', [path.join(dir, 'pipe')]), reason: 'neither a regular file nor a directory' },
    { case: 'a name that is not UTF-8', make: () => writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'bad')), Buffer.from([0xff])]), 'x'), reason: 'not valid UTF-8' },
  ])('refuses $case', async ({ make, reason }) => {
    writeFileSync(path.join(dir, 'fine.txt'), 'x');
    make();

    expect(await listOutputs(dir, PREFIX)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('refuses an output directory the command replaced with a link', async () => {
    const target = path.join(dir, 'elsewhere');
    mkdirSync(target);
    symlinkSync(target, path.join(dir, 'out'));

    expect(await listOutputs(path.join(dir, 'out'), PREFIX)).toEqual({ ok: false, reason: 'the command removed or replaced its output directory' });
  });
});
