import type { ChunkManifest, ChunkRecord } from '../../../contracts/chunks';

/**
 * The output (its shapes: contracts/chunks.ts): `data/output/<rest>.chunks.jsonl`, one chunk per line, and the
 * manifest beside it. Both are written with their keys in a fixed order and hold no time, so chunking an
 * unchanged file again writes the same bytes.
 */

/** The record as one JSON line, its fields always in the order of ChunkRecord. */
export function chunkLine(record: ChunkRecord): string {
  const ordered: ChunkRecord = {
    id: record.id,
    index: record.index,
    source_key: record.source_key,
    source_sha256: record.source_sha256,
    start: record.start,
    end: record.end,
    tokens: record.tokens,
    page: record.page,
    page_end: record.page_end,
    heading: record.heading,
    text: record.text,
  };
  return `${JSON.stringify(ordered)}\n`;
}

/** The manifest as pretty JSON, its fields always in the order of ChunkManifest. */
export function manifestJson(manifest: ChunkManifest): string {
  const ordered: ChunkManifest = {
    schema_version: manifest.schema_version,
    source_key: manifest.source_key,
    source_sha256: manifest.source_sha256,
    source_bytes: manifest.source_bytes,
    format: manifest.format,
    extractor: { name: manifest.extractor.name, version: manifest.extractor.version },
    chunker: { version: manifest.chunker.version, tokenizer: manifest.chunker.tokenizer, icu: manifest.chunker.icu },
    settings: {
      max_tokens: manifest.settings.max_tokens,
      overlap_tokens: manifest.settings.overlap_tokens,
      encoding: manifest.settings.encoding,
      max_input_bytes: manifest.settings.max_input_bytes,
    },
    chunks_key: manifest.chunks_key,
    chunks_sha256: manifest.chunks_sha256,
    chunk_count: manifest.chunk_count,
    token_total: manifest.token_total,
    text_length: manifest.text_length,
    pages: manifest.pages,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
