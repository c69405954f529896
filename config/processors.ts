import { COPY_PROCESSOR_NAME, ProcessorType, type ChunkEncoding, type ProcessorCatalog } from '../contracts/processors';
import { ConfigError, type Env } from '../runtime/env';
import { resolveCatalog } from '../runtime/processors/catalog';
import { PIPELINE_CONFIG_FILE, type PipelineConfig } from './pipeline-config';

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

/** One processor as written in pipeline.config.ts: its type and its settings, each optional one with a default. */
export type ProcessorDeclaration = CopyProcessorDeclaration | ChunkProcessorDeclaration;

/** The environment variable that picks the default processor for one deployment. */
export const DEFAULT_PROCESSOR_SETTING = 'PIPELINE_DEFAULT_PROCESSOR';

/**
 * The deployment's processor catalog: the declarations checked, defaults filled, `copy` always there. A bad
 * value fails the synth with a ConfigError naming the setting and the value, e.g.
 * `pipeline.config.ts: processors.scan.type must be one of copy, got "cp"`.
 */
export function loadProcessorCatalog(config: Pick<PipelineConfig, 'processors' | 'defaultProcessor'>, env: Env): ProcessorCatalog {
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
