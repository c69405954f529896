import { ItemAttribute, MAX_LISTED_OUTPUT_KEYS, OUTPUT_PREFIX } from '../../contracts';
import type { ProcessorOutput, ProcessorRequest } from './processor';

/** A processor reported outputs the row cannot record: a bug in the processor, never the row's fault. */
export class OutputContractError extends Error {
  override readonly name = 'OutputContractError';
}

/** Attribute names a processor may not set: the contract's own. */
const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set(Object.values(ItemAttribute));
const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Holds a processor's reported outputs to the contract before the row records them: every key under the row's
 * own `data/output/<rest>`, a manifest above MAX_LISTED_OUTPUT_KEYS keys, attributes that are numbers and never
 * the contract's own names. Throws an OutputContractError naming what is wrong.
 */
export function checkOutput(processor: string, request: ProcessorRequest, output: ProcessorOutput): void {
  const problem = (text: string): never => {
    throw new OutputContractError(`processor ${processor} reported ${text}`);
  };
  const owned = (key: string): boolean =>
    key === request.outputKey || (key.startsWith(request.outputKey) && key.length > request.outputKey.length && key.startsWith(OUTPUT_PREFIX));
  for (const key of [output.locationKey, ...output.keys, ...(output.manifestKey === undefined ? [] : [output.manifestKey])]) {
    if (!owned(key)) problem(`the key ${JSON.stringify(key)}, outside its output ${JSON.stringify(request.outputKey)}`);
  }
  if (output.keys.length > MAX_LISTED_OUTPUT_KEYS && output.manifestKey === undefined) {
    problem(`${output.keys.length} output keys without a manifest (more than ${MAX_LISTED_OUTPUT_KEYS} need one)`);
  }
  for (const [name, value] of Object.entries(output.attributes ?? {})) {
    if (!ATTRIBUTE_NAME.test(name) || RESERVED_ATTRIBUTES.has(name)) problem(`the attribute name ${JSON.stringify(name)}, which is reserved or invalid`);
    if (!Number.isFinite(value)) problem(`a non-finite value for the attribute ${name}`);
  }
}
