import type { ProcessorType } from '../../contracts';
import type { WorkerLogger } from '../logger';

/**
 * The worker's side of the processor contract (contracts/processors.ts). The job (worker/job.ts) reads the row,
 * checks its path, picks the processor, and keeps for every processor alike what makes a row's outcome
 * trustworthy: the visibility heartbeat, the outcome write conditioned on the submission it read, the
 * last-receive rule, the drain on SIGTERM. A processor only turns the input into outputs and says how it went.
 */
export interface Processor {
  /** The name rows use, from the catalog. */
  readonly name: string;
  readonly type: ProcessorType;
  /**
   * Processes one row's file. Resolves to its outcome: `finished` once every output is written, `failed` when
   * retrying cannot help (bad input). Throws when it might: the message then comes back, and on the queue's last
   * allowed receive the row is FAILED with the error. Stops as soon as it can when the signal aborts (a stop, or
   * the message taken by another receive), and then writes nothing more.
   */
  process(request: ProcessorRequest, context: ProcessorContext): Promise<ProcessorOutcome>;
}

/** One row's file, its path already checked (runtime/item-paths.ts). */
export interface ProcessorRequest {
  readonly itemId: string;
  readonly bucketName: string;
  /** `data/input/<rest>`. */
  readonly sourceKey: string;
  /** `<rest>`. */
  readonly rest: string;
  /** `data/output/<rest>`: a processor writes this object, or keys that extend it with a suffix or a `/`. */
  readonly outputKey: string;
}

export interface ProcessorContext {
  /** The job's signal (see {@link Processor.process}). */
  readonly abortSignal?: AbortSignal;
  readonly logger: WorkerLogger;
}

export type ProcessorOutcome = ProcessorFinished | ProcessorFailed;

export interface ProcessorFinished {
  readonly kind: 'finished';
  readonly output: ProcessorOutput;
  /** Bytes of input processed: the BytesProcessed metric. */
  readonly inputBytes: number;
  /** Fields for the `processing_finished` log line (a copy's parts, a command's exit time, …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ProcessorFailed {
  readonly kind: 'failed';
  /** Why, for the row's failure_reason: short, naming the value at fault. */
  readonly reason: string;
}

/** What a finished processor wrote, as the row records it. */
export interface ProcessorOutput {
  /** The row's `output_path` names this key: the one object, or the prefix (ending in `/`) holding several. */
  readonly locationKey: string;
  /** Every key written. */
  readonly keys: readonly string[];
  /**
   * The key of a JSON manifest listing every key, required above MAX_LISTED_OUTPUT_KEYS keys: the row then names
   * it instead of listing them.
   */
  readonly manifestKey?: string;
  /** Numbers the processor records on the row besides the outputs (a chunk count), by attribute name. */
  readonly attributes?: Readonly<Record<string, number>>;
}

/** A processor's outcome for input it can never process. */
export function failed(reason: string): ProcessorFailed {
  return { kind: 'failed', reason };
}
