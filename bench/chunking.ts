import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { countTokens, encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { getEncoding } from 'js-tiktoken';
import { makeLongDocx, makeLongPdf, SAMPLE_TEXT_PATH } from '../local/samples/documents';
import { chunkText } from '../worker/processors/chunk/chunker';
import { chunkDocument } from '../worker/processors/chunk/chunk-document';
import { extractWhole } from '../worker/processors/chunk/extract';
import { DEFAULT_CHUNK_SETTINGS } from '../worker/processors/chunk/settings';
import { cachedTokenCounter, loadTokenCounter } from '../worker/processors/chunk/tokenizer';
import { measureNode } from './child';
import { median, MIB, round } from './stats';

/**
 * Issue 22's figures, side by side in one run: chunking throughput against LangChain's RecursiveCharacterTextSplitter
 * at the same size and overlap in tokens (every chunk of each checked against the maximum), PDF pages/s, DOCX MB/s,
 * the peak RSS of a 100 MB text file and of a 300-page PDF, and the worker bundle with and without the chunk
 * processor.
 */

const MAX_TOKENS = DEFAULT_CHUNK_SETTINGS.maxTokens;
const OVERLAP_TOKENS = DEFAULT_CHUNK_SETTINGS.overlapTokens;
const RUNS = 3;
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export interface ChunkingOptions {
  readonly repoRoot: string;
  /** Size of the throughput corpus. */
  readonly corpusBytes: number;
  /** Size of the streamed text whose peak RSS is measured. */
  readonly largeTextBytes: number;
  readonly pdfPages: number;
  readonly log: (line: string) => void;
}

export interface SplitterFigures {
  readonly name: string;
  readonly corpusBytes: number;
  readonly msMedian: number;
  readonly mbPerSecond: number;
  readonly chunks: number;
  /** Chunks above the maximum, counted with the exact cl100k_base count. */
  readonly overMax: number;
  readonly largestChunkTokens: number;
}

export interface ChunkingFigures {
  readonly settings: { readonly maxTokens: number; readonly overlapTokens: number; readonly encoding: string };
  readonly corpus: string;
  readonly splitters: readonly SplitterFigures[];
  /** Ours ÷ LangChain with the same tokenizer, and ÷ LangChain with js-tiktoken. */
  readonly ratioSameTokenizer: number;
  readonly ratioJsTiktoken: number;
  /** The whole text path of the processor (decode twice, hash, chunk, JSONL lines), in memory. */
  readonly textProcessorMbPerSecond: number;
  /** gpt-tokenizer and js-tiktoken give the same ids on the corpus sample. */
  readonly tokenizersAgree: { readonly chars: number; readonly tokens: number; readonly identical: boolean };
  readonly tokenizerMbPerSecond: { readonly gptTokenizer: number; readonly jsTiktoken: number };
  readonly pdf: { readonly pages: number; readonly bytes: number; readonly extractMsMedian: number; readonly pagesPerSecond: number; readonly chunkMsMedian: number };
  readonly docx: { readonly bytes: number; readonly textChars: number; readonly extractMsMedian: number; readonly mbPerSecond: number };
  readonly peakRss: {
    readonly idleBytes: number;
    readonly largeText: { readonly fileBytes: number; readonly peakRssBytes: number; readonly wallMs: number; readonly chunks: number };
    readonly longPdf: { readonly fileBytes: number; readonly pages: number; readonly peakRssBytes: number; readonly wallMs: number; readonly chunks: number };
  };
  readonly bundle: BundleComparison;
}

export interface BundleComparison {
  readonly withoutChunkBytes: number;
  readonly withChunkBytes: number;
  /** `node worker.js` to its exit on an empty environment (load, compile, config check): median ms and RSS. */
  readonly withoutChunkStart: { readonly msMedian: number; readonly peakRssBytes: number };
  readonly withChunkStart: { readonly msMedian: number; readonly peakRssBytes: number };
}

/** The repository's own prose: the docs, the README and the sample text, repeated to `bytes`. */
export function benchCorpus(repoRoot: string, bytes: number): { text: string; description: string } {
  const docs = readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => readFileSync(path.join(repoRoot, 'docs', name), 'utf8'));
  const base = [...docs, readFileSync(path.join(repoRoot, 'README.md'), 'utf8'), readFileSync(SAMPLE_TEXT_PATH, 'utf8')].join('\n\n');
  const text = base.repeat(Math.ceil(bytes / base.length)).slice(0, bytes);
  return { text, description: `docs/*.md, README.md and local/samples/field-guide.md (${round(base.length / 1024, 0)} KiB), repeated to ${round(bytes / MIB, 1)} MiB` };
}

async function timed<T>(run: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

function checkChunks(name: string, corpusBytes: number, ms: number[], chunks: readonly string[]): SplitterFigures {
  const counts = chunks.map((chunk) => countTokens(chunk, AS_TEXT));
  const msMedian = median(ms);
  return {
    name,
    corpusBytes,
    msMedian: round(msMedian, 0),
    mbPerSecond: round(corpusBytes / MIB / (msMedian / 1000)),
    chunks: chunks.length,
    overMax: counts.filter((count) => count > MAX_TOKENS).length,
    largestChunkTokens: Math.max(...counts),
  };
}

export async function measureChunking(options: ChunkingOptions): Promise<ChunkingFigures> {
  const { log } = options;
  const corpus = benchCorpus(options.repoRoot, options.corpusBytes);
  const counter = await loadTokenCounter('cl100k_base');
  const jsTiktoken = getEncoding('cl100k_base');
  const ours = () => chunkText(corpus.text, { maxTokens: MAX_TOKENS, overlapTokens: OVERLAP_TOKENS, counter, wordCounter: cachedTokenCounter(counter) });
  const langchain = (length: (text: string) => number) => () =>
    new RecursiveCharacterTextSplitter({ chunkSize: MAX_TOKENS, chunkOverlap: OVERLAP_TOKENS, lengthFunction: length }).splitText(corpus.text);
  const lcSame = langchain((text) => countTokens(text, AS_TEXT));

  log(`chunking: warm-up (${corpus.description})`);
  const warmText = corpus.text.slice(0, 200_000);
  chunkText(warmText, { maxTokens: MAX_TOKENS, overlapTokens: OVERLAP_TOKENS, counter });
  await new RecursiveCharacterTextSplitter({ chunkSize: MAX_TOKENS, chunkOverlap: OVERLAP_TOKENS, lengthFunction: (text) => countTokens(text, AS_TEXT) }).splitText(warmText);

  log(`chunking: ours and LangChain (gpt-tokenizer), ${RUNS} runs each, alternating`);
  const oursMs: number[] = [];
  const lcMs: number[] = [];
  let oursChunks: string[] = [];
  let lcChunks: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const a = await timed(ours);
    oursMs.push(a.ms);
    oursChunks = a.value.map((span) => span.text);
    const b = await timed(lcSame);
    lcMs.push(b.ms);
    lcChunks = b.value;
  }
  // js-tiktoken is an order of magnitude slower: one run on a slice, reported as MB/s of that slice.
  const slice = corpus.text.slice(0, Math.min(corpus.text.length, MIB));
  log(`chunking: LangChain (js-tiktoken) on ${round(slice.length / MIB, 1)} MiB`);
  const lcJs = await timed(() =>
    new RecursiveCharacterTextSplitter({ chunkSize: MAX_TOKENS, chunkOverlap: OVERLAP_TOKENS, lengthFunction: (text) => jsTiktoken.encode(text, [], []).length }).splitText(slice),
  );
  const splitters = [
    checkChunks('rag-file-pipeline chunker (gpt-tokenizer)', corpus.text.length, oursMs, oursChunks),
    checkChunks('LangChain RecursiveCharacterTextSplitter, lengthFunction = gpt-tokenizer', corpus.text.length, lcMs, lcChunks),
    checkChunks('LangChain RecursiveCharacterTextSplitter, lengthFunction = js-tiktoken', slice.length, [lcJs.ms], lcJs.value),
  ];

  log('chunking: tokenizers side by side');
  const sample = corpus.text.slice(0, Math.min(corpus.text.length, MIB));
  const gpt = await timed(() => encode(sample, AS_TEXT));
  const js = await timed(() => jsTiktoken.encode(sample, [], []));
  const tokenizersAgree = { chars: sample.length, tokens: gpt.value.length, identical: gpt.value.length === js.value.length && gpt.value.every((id, index) => id === js.value[index]) };

  log('chunking: the text processor in memory (decode, hash, chunk, JSONL)');
  const corpusBytes = Buffer.from(corpus.text);
  const processorRun = await timed(() =>
    chunkDocument(
      { key: 'data/input/corpus.txt', bytes: corpusBytes.length, open: () => piecesOf(corpusBytes, 64 * 1024) },
      DEFAULT_CHUNK_SETTINGS,
      'data/output/corpus.txt.chunks.jsonl',
      { write: async () => undefined },
    ),
  );

  log(`extraction: a ${options.pdfPages}-page PDF and a long DOCX`);
  const pdfBytes = await makeLongPdf(options.pdfPages);
  const pdfExtractMs: number[] = [];
  for (let run = 0; run < RUNS; run++) pdfExtractMs.push((await timed(() => extractWhole('pdf', pdfBytes))).ms);
  const pdfChunkMs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    pdfChunkMs.push(
      (
        await timed(() =>
          chunkDocument({ key: 'data/input/long.pdf', bytes: pdfBytes.length, open: () => piecesOf(pdfBytes, 64 * 1024) }, DEFAULT_CHUNK_SETTINGS, 'k', { write: async () => undefined }),
        )
      ).ms,
    );
  }
  // The repository's docs, a few times over: varied enough that the DOCX's compression does not hide its size.
  const docs = readdirSync(path.join(options.repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => readFileSync(path.join(options.repoRoot, 'docs', name), 'utf8'));
  const docxBytes = await makeLongDocx(docs, 4);
  const docxRuns: number[] = [];
  let docxText = 0;
  for (let run = 0; run < RUNS; run++) {
    const result = await timed(() => extractWhole('docx', docxBytes));
    docxRuns.push(result.ms);
    docxText = result.value.text.length;
  }

  const work = mkdtempSync(path.join(tmpdir(), 'bench-chunking-'));
  try {
    const child = await bundleChild(options.repoRoot, work);
    log(`peak RSS: a ${round(options.largeTextBytes / 1e6, 0)} MB text file and a ${options.pdfPages}-page PDF, each in a fresh process`);
    const largeText = path.join(work, 'large.txt');
    writeFileSync(largeText, benchCorpus(options.repoRoot, options.largeTextBytes).text);
    const longPdf = path.join(work, 'long.pdf');
    writeFileSync(longPdf, pdfBytes);
    const idle = await runChild(child, work, 'idle', largeText);
    const text = await runChild(child, work, 'chunk', largeText);
    const pdf = await runChild(child, work, 'chunk', longPdf);

    log('worker bundle: with and without the chunk processor');
    const bundle = await compareBundles(options.repoRoot, work);
    return {
      settings: { maxTokens: MAX_TOKENS, overlapTokens: OVERLAP_TOKENS, encoding: 'cl100k_base' },
      corpus: corpus.description,
      splitters,
      ratioSameTokenizer: round(splitters[0].mbPerSecond / splitters[1].mbPerSecond),
      ratioJsTiktoken: round(splitters[0].mbPerSecond / splitters[2].mbPerSecond),
      textProcessorMbPerSecond: round(corpusBytes.length / MIB / (processorRun.ms / 1000)),
      tokenizersAgree,
      tokenizerMbPerSecond: { gptTokenizer: round(sample.length / MIB / (gpt.ms / 1000)), jsTiktoken: round(sample.length / MIB / (js.ms / 1000)) },
      pdf: {
        pages: options.pdfPages,
        bytes: pdfBytes.length,
        extractMsMedian: round(median(pdfExtractMs), 0),
        pagesPerSecond: round(options.pdfPages / (median(pdfExtractMs) / 1000), 0),
        chunkMsMedian: round(median(pdfChunkMs), 0),
      },
      docx: { bytes: docxBytes.length, textChars: docxText, extractMsMedian: round(median(docxRuns), 0), mbPerSecond: round(docxBytes.length / MIB / (median(docxRuns) / 1000)) },
      peakRss: {
        idleBytes: idle.peakRssBytes,
        largeText: { fileBytes: statSync(largeText).size, peakRssBytes: text.peakRssBytes, wallMs: round(text.wallMs, 0), chunks: text.chunks },
        longPdf: { fileBytes: pdfBytes.length, pages: options.pdfPages, peakRssBytes: pdf.peakRssBytes, wallMs: round(pdf.wallMs, 0), chunks: pdf.chunks },
      },
      bundle,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function* piecesOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** bench/chunking-child.ts as one file, bundled the way tsup bundles the worker. */
async function bundleChild(repoRoot: string, work: string): Promise<string> {
  const outfile = path.join(work, 'chunking-child.js');
  await build({
    entryPoints: [path.join(repoRoot, 'bench', 'chunking-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    logLevel: 'error',
    tsconfig: path.join(repoRoot, 'tsconfig.json'),
  });
  return outfile;
}

async function runChild(child: string, work: string, mode: 'idle' | 'chunk', file: string): Promise<{ peakRssBytes: number; wallMs: number; chunks: number }> {
  const result = path.join(work, `result-${mode}-${path.basename(file)}.json`);
  const measured = await measureNode([child, mode, file, result], { cwd: work });
  const { chunks } = JSON.parse(readFileSync(result, 'utf8')) as { chunks: number };
  return { ...measured, chunks };
}

/**
 * The worker bundled as tsup bundles it, once as it is and once with the chunk processor replaced by a stub: the
 * bundle's size and `node worker.js`'s start (to its exit on an empty environment) before and after.
 */
async function compareBundles(repoRoot: string, work: string): Promise<BundleComparison> {
  const bundleOf = async (name: string, withoutChunk: boolean): Promise<string> => {
    const outfile = path.join(work, name);
    await build({
      entryPoints: [path.join(repoRoot, 'worker', 'main.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      minify: true,
      logLevel: 'error',
      tsconfig: path.join(repoRoot, 'tsconfig.json'),
      plugins: withoutChunk
        ? [
            {
              name: 'without-chunk',
              setup(builder) {
                builder.onResolve({ filter: /[\\/]chunk[\\/]processor$/ }, () => ({ path: 'chunk-stub', namespace: 'stub' }));
                builder.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
                  contents: 'export function chunkProcessor() { throw new Error("stub"); }',
                  loader: 'js',
                }));
              },
            },
          ]
        : [],
    });
    return outfile;
  };
  const without = await bundleOf('worker-without-chunk.js', true);
  const withChunk = await bundleOf('worker-with-chunk.js', false);
  const start = async (bundle: string) => {
    const runs: { ms: number; rss: number }[] = [];
    for (let run = 0; run < 7; run++) runs.push(await startToExit(bundle, work));
    return { msMedian: round(median(runs.map((run) => run.ms)), 0), peakRssBytes: median(runs.map((run) => run.rss)) };
  };
  return {
    withoutChunkBytes: statSync(without).size,
    withChunkBytes: statSync(withChunk).size,
    withoutChunkStart: await start(without),
    withChunkStart: await start(withChunk),
  };
}

/**
 * `node worker.js` with no environment: it loads, compiles, finds its configuration missing and exits 2. A wrapper
 * turns that exit into 0, which measureNode expects, without changing what is loaded.
 */
async function startToExit(bundle: string, work: string): Promise<{ ms: number; rss: number }> {
  const wrapper = path.join(work, 'exit-zero.js');
  writeFileSync(wrapper, `process.on('exit', () => { process.exitCode = 0; }); require(${JSON.stringify(bundle)});\n`);
  const measured = await measureNode([wrapper], { cwd: work, env: { PATH: process.env.PATH } });
  return { ms: measured.wallMs, rss: measured.peakRssBytes };
}

/** The report's lines. */
export function formatChunking(figures: ChunkingFigures): string {
  const mb = (bytes: number) => `${round(bytes / MIB, 1)} MiB`;
  const lines = [
    `chunking, ${figures.settings.maxTokens} tokens, overlap ${figures.settings.overlapTokens}, ${figures.settings.encoding}; corpus: ${figures.corpus}`,
    ...figures.splitters.map(
      (splitter) =>
        `  ${splitter.name}: ${splitter.mbPerSecond} MB/s (${mb(splitter.corpusBytes)} in ${splitter.msMedian} ms), ${splitter.chunks} chunks, ${splitter.overMax} over ${figures.settings.maxTokens}, largest ${splitter.largestChunkTokens}`,
    ),
    `  ratio: ${figures.ratioSameTokenizer}× LangChain with the same tokenizer, ${figures.ratioJsTiktoken}× LangChain with js-tiktoken`,
    `  the text processor (decode twice, hash, chunk, JSONL): ${figures.textProcessorMbPerSecond} MB/s`,
    `  tokenizers: gpt-tokenizer ${figures.tokenizerMbPerSecond.gptTokenizer} MB/s, js-tiktoken ${figures.tokenizerMbPerSecond.jsTiktoken} MB/s, same ids on ${figures.tokenizersAgree.tokens} tokens: ${figures.tokenizersAgree.identical}`,
    `PDF: ${figures.pdf.pages} pages (${mb(figures.pdf.bytes)}) extracted in ${figures.pdf.extractMsMedian} ms = ${figures.pdf.pagesPerSecond} pages/s; extracted and chunked in ${figures.pdf.chunkMsMedian} ms`,
    `DOCX: ${mb(figures.docx.bytes)} (${figures.docx.textChars} characters of text) extracted in ${figures.docx.extractMsMedian} ms = ${figures.docx.mbPerSecond} MB/s of DOCX`,
    `peak RSS: idle (modules and tokenizer loaded) ${mb(figures.peakRss.idleBytes)}; ${mb(figures.peakRss.largeText.fileBytes)} text file ${mb(figures.peakRss.largeText.peakRssBytes)} (${figures.peakRss.largeText.chunks} chunks in ${figures.peakRss.largeText.wallMs} ms); ${figures.peakRss.longPdf.pages}-page PDF ${mb(figures.peakRss.longPdf.peakRssBytes)} (${figures.peakRss.longPdf.chunks} chunks in ${figures.peakRss.longPdf.wallMs} ms)`,
    `worker bundle: ${mb(figures.bundle.withoutChunkBytes)} without the chunk processor, ${mb(figures.bundle.withChunkBytes)} with it; start to exit: ${figures.bundle.withoutChunkStart.msMedian} ms / ${mb(figures.bundle.withoutChunkStart.peakRssBytes)} → ${figures.bundle.withChunkStart.msMedian} ms / ${mb(figures.bundle.withChunkStart.peakRssBytes)}`,
  ];
  return lines.join('\n');
}
