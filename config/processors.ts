import { COPY_PROCESSOR_NAME, ProcessorType, type ProcessorCatalog } from '../contracts/processors';
import { ConfigError, type Env } from '../runtime/env';
import { resolveCatalog } from '../runtime/processors/catalog';
import { PIPELINE_CONFIG_FILE, type PipelineConfig } from './pipeline-config';

/** `copy`: the built-in server-side copy. It has no settings; declare it only to give it another name. */
export interface CopyProcessorDeclaration {
  readonly type: typeof ProcessorType.copy;
}

/** One processor as written in pipeline.config.ts: its type and its settings, each optional one with a default. */
export type ProcessorDeclaration = CopyProcessorDeclaration;

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
