import { CHUNK_SETTINGS, type ChunkProcessorSpec } from '../../../contracts/processors';

/** The chunk processor's settings (contracts/processors.ts, checked at synth by runtime/processors/catalog.ts). */
export type ChunkSettings = Omit<ChunkProcessorSpec, 'type'>;

export const DEFAULT_CHUNK_SETTINGS: ChunkSettings = {
  maxTokens: CHUNK_SETTINGS.maxTokens.default,
  overlapTokens: CHUNK_SETTINGS.overlapTokens.default,
  encoding: CHUNK_SETTINGS.encoding.default,
  maxInputBytes: CHUNK_SETTINGS.maxInputBytes.default,
};
