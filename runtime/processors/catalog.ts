import {
  CHUNK_ENCODINGS,
  CHUNK_SETTINGS,
  COPY_ONLY_CATALOG,
  COPY_PROCESSOR_NAME,
  PROCESSOR_CATALOG_SCHEMA_VERSION,
  PROCESSOR_NAME,
  PROCESSOR_NAME_REQUIREMENT,
  ProcessorType,
  type ChunkEncoding,
  type ProcessorCatalog,
  type ProcessorSpec,
} from '../../contracts/processors';
import { ConfigError } from '../env';
import { resolveCommandSpec } from './command-spec';
import { SpecProblems } from './spec-problems';

/**
 * Checks a processor catalog and fills every default. One function for both places that read one: the synth
 * (config/processors.ts, from the typed configuration) and the worker (from the JSON the stack uploaded), so
 * the worker never runs a catalog the synth would have refused. Idempotent: a resolved catalog resolves to
 * itself. Throws a ConfigError listing every problem, each naming its path (`processors.scan.command[0]`).
 */
export function resolveCatalog(input: unknown): ProcessorCatalog {
  const problems = new SpecProblems();
  if (!isRecord(input)) throw new ConfigError([`the processor catalog must be a JSON object, got ${describe(input)}`]);
  const version = input.schemaVersion ?? PROCESSOR_CATALOG_SCHEMA_VERSION;
  if (version !== PROCESSOR_CATALOG_SCHEMA_VERSION) {
    problems.add('schemaVersion', `${PROCESSOR_CATALOG_SCHEMA_VERSION} (a newer worker wrote it, or it was edited by hand)`, version);
  }
  const declared = input.processors ?? {};
  const processors: Record<string, ProcessorSpec> = { ...COPY_ONLY_CATALOG.processors };
  if (!isRecord(declared)) {
    problems.add('processors', 'an object of processors by name', declared);
  } else {
    for (const [name, raw] of Object.entries(declared)) {
      const path = `processors.${name}`;
      if (!PROCESSOR_NAME.test(name)) {
        problems.add(path, `named with ${PROCESSOR_NAME_REQUIREMENT}`, name);
        continue;
      }
      const spec = resolveSpec(path, raw, problems);
      if (spec !== undefined) processors[name] = spec;
    }
  }
  const defaultProcessor = input.defaultProcessor ?? COPY_PROCESSOR_NAME;
  if (typeof defaultProcessor !== 'string' || !Object.hasOwn(processors, defaultProcessor)) {
    problems.add('defaultProcessor', `the name of a configured processor (${Object.keys(processors).sort().join(', ')})`, defaultProcessor);
  }
  problems.throwIfAny();
  return { schemaVersion: PROCESSOR_CATALOG_SCHEMA_VERSION, defaultProcessor: defaultProcessor as string, processors };
}

/** One processor's settings, by type; undefined (with problems recorded) when they cannot be used. */
function resolveSpec(path: string, raw: unknown, problems: SpecProblems): ProcessorSpec | undefined {
  if (!isRecord(raw)) {
    problems.add(path, 'an object with a "type"', raw);
    return undefined;
  }
  switch (raw.type) {
    case ProcessorType.copy:
      problems.unknownFields(path, raw, ['type']);
      return { type: ProcessorType.copy };
    case ProcessorType.chunk:
      return resolveChunkSpec(path, raw, problems);
    case ProcessorType.command:
      return resolveCommandSpec(path, raw, problems);
    default:
      problems.add(`${path}.type`, `one of ${Object.values(ProcessorType).join(', ')}`, raw.type);
      return undefined;
  }
}

/** `chunk`'s settings, each checked against CHUNK_SETTINGS; the overlap at most half the maximum. */
function resolveChunkSpec(path: string, raw: Readonly<Record<string, unknown>>, problems: SpecProblems): ProcessorSpec {
  problems.unknownFields(path, raw, ['type', 'maxTokens', 'overlapTokens', 'encoding', 'maxInputBytes']);
  const { maxTokens, overlapTokens, encoding, maxInputBytes } = CHUNK_SETTINGS;
  const resolvedMaxTokens = problems.integer(`${path}.maxTokens`, raw.maxTokens, maxTokens.default, maxTokens);
  return {
    type: ProcessorType.chunk,
    maxTokens: resolvedMaxTokens,
    overlapTokens: problems.integer(`${path}.overlapTokens`, raw.overlapTokens, Math.min(overlapTokens.default, Math.floor(resolvedMaxTokens / 2)), {
      min: overlapTokens.min,
      max: Math.floor(resolvedMaxTokens / 2),
    }),
    encoding: problems.string(
      `${path}.encoding`,
      raw.encoding,
      encoding.default,
      new RegExp(`^(?:${CHUNK_ENCODINGS.join('|')})$`),
      `one of ${CHUNK_ENCODINGS.join(', ')}`,
    ) as ChunkEncoding,
    maxInputBytes: problems.integer(`${path}.maxInputBytes`, raw.maxInputBytes, maxInputBytes.default, maxInputBytes),
  };
}

/** True when a catalog adds nothing to the built-in `copy` default: the stack then writes none. */
export function isCopyOnly(catalog: ProcessorCatalog): boolean {
  return catalog.defaultProcessor === COPY_PROCESSOR_NAME && Object.keys(catalog.processors).length === 1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
