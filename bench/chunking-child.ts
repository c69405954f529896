/**
 * A fresh process for one peak-RSS figure of bench/chunking.ts, bundled like the worker: `idle <file> <result>`
 * loads the chunk processor's code and tokenizer and stops; `chunk <file> <result>` chunks the file as the
 * processor does (streamed for text, whole for a PDF), discarding the lines. Writes `{"chunks": n}` to <result>.
 */
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chunkDocument } from '../worker/processors/chunk/chunk-document';
import { DEFAULT_CHUNK_SETTINGS } from '../worker/processors/chunk/settings';
import { loadTokenCounter } from '../worker/processors/chunk/tokenizer';

async function main(): Promise<void> {
  const [mode, file, result] = process.argv.slice(2);
  if (mode === 'idle') {
    await loadTokenCounter(DEFAULT_CHUNK_SETTINGS.encoding);
    writeFileSync(result, JSON.stringify({ chunks: 0 }));
    return;
  }
  const manifest = await chunkDocument(
    { key: `data/input/${path.basename(file)}`, bytes: statSync(file).size, open: () => createReadStream(file, { highWaterMark: 64 * 1024 }) },
    DEFAULT_CHUNK_SETTINGS,
    'data/output/bench.chunks.jsonl',
    { write: async () => undefined },
  );
  writeFileSync(result, JSON.stringify({ chunks: manifest.chunk_count }));
}

main().catch((error: unknown) => {
  process.stderr.write(`chunking-child: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
