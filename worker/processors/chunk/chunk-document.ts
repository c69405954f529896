import { createHash, type Hash } from 'node:crypto';
import { Chunker, type ChunkSpan } from './chunker';
import { headingAt, pageAt, type ExtractedDocument } from './document';
import { EXTRACTORS, extractWhole, type Extractor } from './extract';
import { BadDocumentError } from './failures';
import { CHUNK_OUTPUT_SCHEMA_VERSION, type ChunkManifest, type DocumentFormat } from '../../../contracts/chunks';
import { detectFormat, FORMAT_LABELS, SNIFF_BYTES } from './formats';
import { chunkId } from './ids';
import { chunkLine } from './records';
import type { ChunkSettings } from './settings';
import { StrictDecoder, textEncodingOf } from './text-encoding';
import { cachedTokenCounter, loadTokenCounter } from './tokenizer';
import { CHUNKER_VERSION, LIBRARY_VERSIONS } from './versions';

/** The document to chunk. */
export interface DocumentSource {
  /** Its key, `data/input/<rest>`: part of every chunk record and id. */
  readonly key: string;
  /** Its size, as S3 reports it. */
  readonly bytes: number;
  /**
   * Reads it from the start. Plain text is read twice (once to hash and check it, once to chunk it), so each
   * call must give the same bytes: the S3 reader pins the object's ETag.
   */
  open(): AsyncIterable<Uint8Array>;
}

/** Where the lines of `.chunks.jsonl` go, in order. */
export interface ChunkSink {
  write(line: string): Promise<void>;
}

/** The second read of a text file differed from the first: it was replaced meanwhile. Transient: read it again. */
export class SourceChangedError extends Error {
  override readonly name = 'SourceChangedError';
  constructor(readonly key: string) {
    super(`${key} changed while it was read`);
  }
}

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Chunking runs in long synchronous stretches (a whole document's text at once): every this many milliseconds it
 * lets the event loop run, so the worker's timers (the visibility heartbeat) and its other jobs keep going.
 */
const YIELD_EVERY_MS = 20;

/**
 * Chunks one document into `sink` and returns its manifest. A document that can never be chunked as it is
 * throws BadDocumentError with the reason before anything is written; anything else that throws is transient.
 * An aborted signal stops it at the next chunk.
 */
export async function chunkDocument(
  source: DocumentSource,
  settings: ChunkSettings,
  chunksKey: string,
  sink: ChunkSink,
  abortSignal?: AbortSignal,
): Promise<ChunkManifest> {
  if (source.bytes === 0) throw new BadDocumentError('the file is empty (0 bytes)');
  const iterator = source.open()[Symbol.asyncIterator]();
  try {
    const head = await readHead(iterator);
    if (head.bytes.length === 0) throw new BadDocumentError('the file is empty (0 bytes)');
    const detection = detectFormat(source.key, head.bytes);
    if (!detection.ok) throw new BadDocumentError(detection.reason);
    const rest = replay(head.pieces, iterator);
    if (detection.format === 'text') return await chunkTextStream(source, settings, chunksKey, sink, head.bytes, rest, abortSignal);
    if (source.bytes > settings.maxInputBytes) throw tooLarge(detection.format, source.bytes, settings.maxInputBytes);
    const bytes = await readAll(rest, detection.format, settings.maxInputBytes);
    const document = await extractWhole(detection.format, bytes);
    const emitter = new ChunkEmitter(source, sha256(bytes), settings, chunksKey, sink, detection.format, document, abortSignal);
    const chunker = await emitter.chunker(new Set(document.headings.map((heading) => heading.start)));
    for (const span of chunker.push(document.text)) await emitter.emit(span);
    for (const span of chunker.end()) await emitter.emit(span);
    return emitter.manifest(document.text.length);
  } finally {
    await iterator.return?.();
  }
}

/**
 * Plain text, streamed: a first read hashes it (the hash is in every chunk) and checks that it decodes, so a
 * bad file fails before any output; the second read chunks it. Memory holds the chunker's window, not the file.
 */
async function chunkTextStream(
  source: DocumentSource,
  settings: ChunkSettings,
  chunksKey: string,
  sink: ChunkSink,
  head: Uint8Array,
  firstRead: AsyncIterable<Uint8Array>,
  abortSignal: AbortSignal | undefined,
): Promise<ChunkManifest> {
  const encoding = textEncodingOf(head);
  const check = new StrictDecoder(encoding);
  const firstHash = createHash('sha256');
  let hasText = false;
  for await (const piece of firstRead) {
    firstHash.update(piece);
    const text = check.decode(piece);
    hasText ||= /\S/.test(text);
  }
  hasText ||= /\S/.test(check.finish());
  if (!hasText) throw new BadDocumentError('the text has nothing to chunk: it holds only whitespace');
  const sourceSha256 = firstHash.digest('hex');

  const emitter = new ChunkEmitter(source, sourceSha256, settings, chunksKey, sink, 'text', { text: '', headings: [] }, abortSignal);
  const chunker = await emitter.chunker(new Set());
  const decoder = new StrictDecoder(encoding);
  const secondHash = createHash('sha256');
  let textLength = 0;
  for await (const piece of source.open()) {
    secondHash.update(piece);
    const text = decoder.decode(piece);
    textLength += text.length;
    for (const span of chunker.push(text)) await emitter.emit(span);
  }
  const rest = decoder.finish();
  textLength += rest.length;
  for (const span of chunker.push(rest)) await emitter.emit(span);
  for (const span of chunker.end()) await emitter.emit(span);
  if (secondHash.digest('hex') !== sourceSha256) throw new SourceChangedError(source.key);
  return emitter.manifest(textLength);
}

/** Turns chunk spans into records, writes their lines, and tallies the manifest. */
class ChunkEmitter {
  private count = 0;
  private tokenTotal = 0;
  private readonly linesHash: Hash = createHash('sha256');
  private readonly extractor: Extractor;
  private lastYield = performance.now();

  constructor(
    private readonly source: DocumentSource,
    private readonly sourceSha256: string,
    private readonly settings: ChunkSettings,
    private readonly chunksKey: string,
    private readonly sink: ChunkSink,
    private readonly format: DocumentFormat,
    private readonly document: ExtractedDocument,
    private readonly abortSignal?: AbortSignal,
  ) {
    this.extractor = EXTRACTORS[format];
  }

  async chunker(headingStarts: ReadonlySet<number>): Promise<Chunker> {
    const counter = await loadTokenCounter(this.settings.encoding);
    return new Chunker({
      maxTokens: this.settings.maxTokens,
      overlapTokens: this.settings.overlapTokens,
      counter,
      wordCounter: cachedTokenCounter(counter),
      headingStarts,
    });
  }

  async emit(span: ChunkSpan): Promise<void> {
    if (performance.now() - this.lastYield > YIELD_EVERY_MS) {
      await new Promise(setImmediate);
      this.lastYield = performance.now();
    }
    this.abortSignal?.throwIfAborted();
    const index = this.count++;
    const { pageStarts } = this.document;
    const line = chunkLine({
      id: chunkId({
        sourceKey: this.source.key,
        sourceSha256: this.sourceSha256,
        maxTokens: this.settings.maxTokens,
        overlapTokens: this.settings.overlapTokens,
        encoding: this.settings.encoding,
        extractor: `${this.extractor.name} ${this.extractor.version}`,
        chunkerVersion: CHUNKER_VERSION,
        index,
        start: span.start,
        end: span.end,
      }),
      index,
      source_key: this.source.key,
      source_sha256: this.sourceSha256,
      start: span.start,
      end: span.end,
      tokens: span.tokens,
      page: pageStarts === undefined ? null : pageAt(pageStarts, span.start),
      page_end: pageStarts === undefined ? null : pageAt(pageStarts, span.end - 1),
      heading: headingAt(this.document.headings, span.start)?.text ?? null,
      text: span.text,
    });
    this.tokenTotal += span.tokens;
    this.linesHash.update(line);
    await this.sink.write(line);
  }

  manifest(textLength: number): ChunkManifest {
    return {
      schema_version: CHUNK_OUTPUT_SCHEMA_VERSION,
      source_key: this.source.key,
      source_sha256: this.sourceSha256,
      source_bytes: this.source.bytes,
      format: this.format,
      extractor: this.extractor,
      chunker: { version: CHUNKER_VERSION, tokenizer: `gpt-tokenizer ${LIBRARY_VERSIONS['gpt-tokenizer']}`, icu: process.versions.icu ?? 'none' },
      settings: {
        max_tokens: this.settings.maxTokens,
        overlap_tokens: this.settings.overlapTokens,
        encoding: this.settings.encoding,
        max_input_bytes: this.settings.maxInputBytes,
      },
      chunks_key: this.chunksKey,
      chunks_sha256: this.linesHash.digest('hex'),
      chunk_count: this.count,
      token_total: this.tokenTotal,
      text_length: textLength,
      pages: this.document.pageStarts?.length ?? null,
    };
  }
}

/** The first pieces of the stream, up to SNIFF_BYTES or its end. */
async function readHead(iterator: AsyncIterator<Uint8Array>): Promise<{ bytes: Uint8Array; pieces: Uint8Array[] }> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    pieces.push(next.value);
    length += next.value.length;
  }
  return { bytes: Buffer.concat(pieces).subarray(0, SNIFF_BYTES), pieces };
}

/** The pieces already read, then the rest of the stream. */
async function* replay(pieces: readonly Uint8Array[], iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* pieces;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

/** The whole file, refused as soon as it passes the limit (the size S3 reported is not trusted alone). */
async function readAll(pieces: AsyncIterable<Uint8Array>, format: DocumentFormat, maxInputBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const piece of pieces) {
    length += piece.length;
    if (length > maxInputBytes) throw tooLarge(format, length, maxInputBytes);
    parts.push(piece);
  }
  return Buffer.concat(parts);
}

function tooLarge(format: DocumentFormat, bytes: number, maxInputBytes: number): BadDocumentError {
  return new BadDocumentError(
    `the ${FORMAT_LABELS[format]} file is ${size(bytes)} (${bytes} bytes), above the chunk processor's limit of ${size(maxInputBytes)} ` +
      `(maxInputBytes = ${maxInputBytes}) for formats parsed whole in memory; split it, or raise the limit`,
  );
}

function size(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`;
  return bytes < MIB ? `${(bytes / KIB).toFixed(1)} KiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
