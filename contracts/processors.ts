/**
 * The processor contract: what a worker does to a row's file. Defined once here and shared by the typed
 * configuration checked at synth (config/processors.ts), the catalog the stack uploads (modules/s3), the worker
 * that runs processors (worker/processors/) and the readers of their outcomes (item events, the ops CLI).
 *
 * - A processor has a NAME, unique in the deployment ({@link PROCESSOR_NAME}), and a TYPE ({@link ProcessorType}):
 *   what it does. `copy` is the built-in default; other types add their own settings to {@link ProcessorSpec}.
 * - A row chooses its processor by name in its optional `processor` attribute; without one, the deployment's
 *   default runs. An unknown name ends the row FAILED, with a reason listing the known names.
 * - The input is always `s3://<bucket>/data/input/<rest>`. Each type decides how it reaches the processor:
 *   `copy` never downloads it (a server-side copy).
 * - The outputs live under `data/output/<rest>`: the object itself, or `<rest>` followed by a suffix or a `/`.
 *   Every FINISHED row records `output_path` (where to look), `output_count` and `processed_by`.
 * - The result maps to the row's outcome the same way for every type: done → FINISHED with the outputs; a
 *   failure that retrying cannot fix → FAILED with a reason; anything else is transient: the message comes back,
 *   and on the queue's last allowed receive the row is FAILED with the last error.
 */

/** What a processor does. */
export const ProcessorType = {
  /** Server-side copy of the input to `data/output/<rest>`, keeping its metadata, tags and encryption. */
  copy: 'copy',
  /**
   * Text chunks for retrieval, inside the worker: `data/output/<rest>.chunks.jsonl` and its manifest, from a PDF,
   * DOCX, HTML, Markdown or plain text file (docs/processors.md, "chunk").
   */
  chunk: 'chunk',
  /** The user's own program, run on the worker with the input downloaded (contracts/command-processor.ts). */
  command: 'command',
} as const;
export type ProcessorType = (typeof ProcessorType)[keyof typeof ProcessorType];

/** A processor's name: lowercase letters, digits and hyphens, starting with a letter, at most 32 characters. */
export const PROCESSOR_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const PROCESSOR_NAME_REQUIREMENT = 'lowercase letters, digits and hyphens, starting with a letter, at most 32 characters';

/** The built-in processor every deployment has, and its default unless configured otherwise. */
export const COPY_PROCESSOR_NAME = 'copy';

/** `copy`: no settings. */
export interface CopyProcessorSpec {
  readonly type: typeof ProcessorType.copy;
}

/** Tokenizer encodings the worker bundles for `chunk` (each costs its rank table in the worker bundle). */
export const CHUNK_ENCODINGS = ['cl100k_base', 'o200k_base'] as const;
export type ChunkEncoding = (typeof CHUNK_ENCODINGS)[number];

/** `chunk`: every setting, as the worker receives them (config/processors.ts documents each). */
export interface ChunkProcessorSpec {
  readonly type: typeof ProcessorType.chunk;
  /** Most tokens in one chunk, counted with `encoding`. */
  readonly maxTokens: number;
  /** Tokens a chunk repeats from the end of the previous one in the same section; at most half of maxTokens. */
  readonly overlapTokens: number;
  readonly encoding: ChunkEncoding;
  /** Largest input, in bytes, of the formats parsed whole in memory (PDF, DOCX, HTML, Markdown). */
  readonly maxInputBytes: number;
}

/** The chunk settings' defaults and bounds, shared by the synth's check and the worker's. */
export const CHUNK_SETTINGS = {
  maxTokens: { default: 512, min: 16, max: 32_768 },
  overlapTokens: { default: 64, min: 0 },
  encoding: { default: 'cl100k_base' as ChunkEncoding },
  maxInputBytes: { default: 32 * 1024 * 1024, min: 1, max: 1024 * 1024 * 1024 },
} as const;

/** The number a FINISHED `chunk` row records beside its outputs, and its item events carry: how many chunks. */
export const CHUNK_COUNT_ATTRIBUTE = 'chunk_count';

/**
 * `command`: the user's program, its argv template and limits (contracts/command-processor.ts). Every setting is
 * filled in: the catalog holds what the worker runs.
 */
export interface CommandProcessorSpec {
  readonly type: typeof ProcessorType.command;
  /** The argv template: the program, then its arguments, each of which may hold placeholders (`{input}`). */
  readonly command: readonly string[];
  readonly timeoutSeconds: number;
  readonly killGraceSeconds: number;
  /** Extra environment variables, literal. */
  readonly env: Readonly<Record<string, string>>;
  /** When set, the command's stdout is written to this file of the output directory (a name template); otherwise only its tail is kept. */
  readonly stdoutFile?: string;
  /** Exit 0 with an empty output directory: FINISHED with no outputs when true, FAILED when false. */
  readonly allowEmptyOutput: boolean;
}

/** One processor as the worker receives it: its type and every setting, defaults filled in at synth. */
export type ProcessorSpec = CopyProcessorSpec | ChunkProcessorSpec | CommandProcessorSpec;

/**
 * The processors of a deployment, as JSON in the pipeline bucket under {@link PROCESSOR_CATALOG_KEY}. The stack
 * writes it only when processors are configured; a worker told of no catalog runs `copy` alone.
 */
export interface ProcessorCatalog {
  readonly schemaVersion: typeof PROCESSOR_CATALOG_SCHEMA_VERSION;
  /** The processor a row without a `processor` attribute gets. */
  readonly defaultProcessor: string;
  /** Every processor by name, `copy` included. */
  readonly processors: Readonly<Record<string, ProcessorSpec>>;
}

export const PROCESSOR_CATALOG_SCHEMA_VERSION = 1;

/** The catalog's key in the pipeline bucket. Its content shows in `cdktf diff`. */
export const PROCESSOR_CATALOG_KEY = 'worker/processors.json';

/** The catalog of a deployment that configures nothing: `copy`, the default. */
export const COPY_ONLY_CATALOG: ProcessorCatalog = {
  schemaVersion: PROCESSOR_CATALOG_SCHEMA_VERSION,
  defaultProcessor: COPY_PROCESSOR_NAME,
  processors: { [COPY_PROCESSOR_NAME]: { type: ProcessorType.copy } },
};

/**
 * A FINISHED row lists its output keys in `output_keys` up to this many; beyond it the processor writes a
 * manifest of every key and the row names it in `output_manifest` instead, so a row stays far below
 * DynamoDB's 400 KB item limit whatever a processor writes.
 */
export const MAX_LISTED_OUTPUT_KEYS = 20;
