/**
 * The output: `data/output/<rest>.chunks.jsonl`, one chunk per line, and the manifest beside it. Both are
 * written with their keys in a fixed order and hold no time, so chunking an unchanged file again writes the
 * same bytes.
 */

/** The two objects a chunked document writes, next to where `copy` would write it (`data/output/<rest>`). */
export function chunkOutputKeys(outputKey: string): { readonly chunks: string; readonly manifest: string } {
  return { chunks: `${outputKey}.chunks.jsonl`, manifest: `${outputKey}.chunks.manifest.json` };
}

/** The version of the chunk lines and of the manifest: a renamed or removed field, or a changed meaning, makes it 2. */
export const CHUNK_OUTPUT_SCHEMA_VERSION = 1;

/** One line of the `.chunks.jsonl` file (docs/processors.md, "Output"). */
export interface ChunkRecord {
  /** A UUID derived from the source, the chunk's position and the settings (ids.ts). */
  readonly id: string;
  /** 0, 1, 2… in the order of the text. */
  readonly index: number;
  readonly source_key: string;
  readonly source_sha256: string;
  /** `text === extracted.slice(start, end)`, in UTF-16 code units (JavaScript string indices). */
  readonly start: number;
  readonly end: number;
  readonly tokens: number;
  /** PDF: the pages the chunk starts and ends on (1-based); null for other formats. */
  readonly page: number | null;
  readonly page_end: number | null;
  /** The heading of the section the chunk starts in; null before the first heading and in formats without any. */
  readonly heading: string | null;
  readonly text: string;
}

/** The record as one JSON line, its fields always in the order above. */
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

/** The manifest: `data/output/<rest>.chunks.manifest.json`. */
export interface ChunkManifest {
  readonly schema_version: number;
  readonly source_key: string;
  readonly source_sha256: string;
  readonly source_bytes: number;
  readonly format: string;
  readonly extractor: { readonly name: string; readonly version: string };
  /** The chunker's version, the tokenizer library's, and the ICU version whose sentence rules it used. */
  readonly chunker: { readonly version: string; readonly tokenizer: string; readonly icu: string };
  readonly settings: {
    readonly max_tokens: number;
    readonly overlap_tokens: number;
    readonly encoding: string;
    readonly max_input_bytes: number;
  };
  readonly chunks_key: string;
  readonly chunks_sha256: string;
  readonly chunk_count: number;
  readonly token_total: number;
  /** Length of the extracted text, in UTF-16 code units. */
  readonly text_length: number;
  /** PDF: its page count; null for other formats. */
  readonly pages: number | null;
}

/** The manifest as pretty JSON, its fields always in the order above. */
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
