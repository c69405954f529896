/**
 * The `chunk` processor's output (docs/processors.md, "Output"): what the worker writes and what a downstream
 * embedding step reads, defined once for both (worker/processors/chunk/, the local demo, the tests).
 */

/** The document formats the `chunk` processor reads. */
export const DOCUMENT_FORMATS = ['pdf', 'docx', 'html', 'markdown', 'text'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

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
