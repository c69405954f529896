import { COPY_PROCESSOR_NAME, ProcessorType, type ChunkEncoding, type ProcessorCatalog } from '../contracts/processors';
import { ConfigError, type Env } from '../runtime/env';
import { resolveCatalog } from '../runtime/processors/catalog';
import { PIPELINE_CONFIG_FILE } from './config-file';

/** `copy`: the built-in server-side copy. It has no settings; declare it only to give it another name. */
export interface CopyProcessorDeclaration {
  readonly type: typeof ProcessorType.copy;
}

/**
 * `chunk`: each document becomes text chunks ready for an embedding model, `data/output/<rest>.chunks.jsonl` and a
 * manifest beside it (docs/processors.md, "chunk"). Runs inside the worker: no setup, no tools on the instance.
 */
export interface ChunkProcessorDeclaration {
  readonly type: typeof ProcessorType.chunk;
  /**
   * Most tokens in one chunk (16 to 32768), counted with {@link encoding}; no chunk exceeds it.
   * @default 512
   */
  readonly maxTokens?: number;
  /**
   * Tokens a chunk repeats from the end of the previous one in the same section (0 to half of maxTokens).
   * @default 64, or half of maxTokens when that is less
   */
  readonly overlapTokens?: number;
  /**
   * The tokenizer that counts tokens: `cl100k_base` (OpenAI's text-embedding-3 models) or `o200k_base`.
   * @default 'cl100k_base'
   */
  readonly encoding?: ChunkEncoding;
  /**
   * Largest PDF, DOCX, HTML or Markdown file, in bytes (1 to 1073741824): these are parsed whole in memory, and a
   * larger one ends FAILED with its size and this limit. Plain text is streamed and has no limit.
   * @default 33554432 (32 MiB)
   */
  readonly maxInputBytes?: number;
}

/**
 * `command`: your own program, run on the worker for each row (docs/processors.md, "command"). It reads the
 * downloaded input and writes its outputs into an empty directory; every file there becomes an object under
 * `data/output/<rest>/<processor name>/`.
 */
export interface CommandProcessorDeclaration {
  readonly type: typeof ProcessorType.command;
  /**
   * The program and its arguments, as a list (never a shell string): the program is an absolute path or a name
   * looked up on PATH; arguments may hold the placeholders `{input}`, `{output_dir}`, `{id}`, `{rest}` and
   * `{input_name}` (`{{` and `}}` for literal braces). Each argument reaches the program as one argument,
   * whatever a placeholder's value holds.
   */
  readonly command: readonly string[];
  /**
   * Seconds the command may run before it is stopped (TERM to its process group, KILL after
   * `killGraceSeconds`) and the row FAILED `timed out after N s`; 1 to 39,600.
   * @default 3600
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds between the TERM and the KILL when the command is stopped (timeout, or the worker stopping); 1 to 15.
   * @default 5
   */
  readonly killGraceSeconds?: number;
  /**
   * Extra environment variables, literal values. The command also gets PATH, HOME and TMPDIR (both in its
   * scratch directory), LANG, and the placeholders' values as RAG_INPUT_FILE, RAG_OUTPUT_DIR, RAG_ITEM_ID,
   * RAG_INPUT_REST and RAG_INPUT_NAME, which `env` cannot redefine.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Writes the command's stdout to this file of the output directory, e.g. `{input_name}.sha256` (placeholders
   * `{input_name}` and `{id}`), for tools that write their result to stdout.
   * @default undefined — stdout is not kept beyond its last 8 KiB, logged when the command fails
   */
  readonly stdoutFile?: string;
  /**
   * What exit 0 with an empty output directory means: false, a failure (`FAILED`: the command wrote nothing,
   * most often a wrong output path); true, a result (`FINISHED` with `output_count` 0, e.g. a validator).
   * @default false
   */
  readonly allowEmptyOutput?: boolean;
}

/** One processor as written in pipeline.config.ts: its type and its settings, each optional one with a default. */
export type ProcessorDeclaration = CopyProcessorDeclaration | ChunkProcessorDeclaration | CommandProcessorDeclaration;

/** The environment variable that picks the default processor for one deployment. */
export const DEFAULT_PROCESSOR_SETTING = 'PIPELINE_DEFAULT_PROCESSOR';

/** The processors part of pipeline.config.ts (config/pipeline-config.ts). */
export interface ProcessorsConfig {
  /**
   * Processors by name (lowercase letters, digits and hyphens). A row names one in its `processor` attribute.
   * @default {} — only the built-in `copy`
   */
  readonly processors?: Readonly<Record<string, ProcessorDeclaration>>;
  /**
   * The processor of rows that name none; `PIPELINE_DEFAULT_PROCESSOR` overrides it for one deployment.
   * @default 'copy'
   */
  readonly defaultProcessor?: string;
}

/**
 * The deployment's processor catalog: the declarations checked, defaults filled, `copy` always there. A bad
 * value fails the synth with a ConfigError naming the setting and the value, e.g.
 * `pipeline.config.ts: processors.scan.type must be one of copy, command, got "cp"`.
 */
export function loadProcessorCatalog(config: ProcessorsConfig, env: Env): ProcessorCatalog {
  const fromEnv = env[DEFAULT_PROCESSOR_SETTING]?.trim();
  const defaultProcessor = fromEnv === undefined || fromEnv === '' ? (config.defaultProcessor ?? COPY_PROCESSOR_NAME) : fromEnv;
  try {
    return resolveCatalog({ processors: config.processors ?? {}, defaultProcessor });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) =>
        problem.startsWith('defaultProcessor ') && fromEnv !== undefined && fromEnv !== ''
          ? problem.replace(/^defaultProcessor/, DEFAULT_PROCESSOR_SETTING)
          : `${PIPELINE_CONFIG_FILE}: ${problem}`,
      ),
    );
  }
}
