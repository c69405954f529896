import type { S3Client } from '@aws-sdk/client-s3';
import { ProcessorType, type ProcessorSpec } from '../../contracts';
import { chunkProcessor } from './chunk/processor';
import { commandProcessor } from './command/command';
import type { ScratchSpace } from './command/scratch';
import { copyProcessor } from './copy';
import type { Processor } from './processor';

/** What the built-in processors need from the worker. */
export interface ProcessorDependencies {
  readonly s3: S3Client;
  readonly multipartThresholdBytes: number;
  /** Where command processors make their per-job directories. */
  readonly scratch: ScratchSpace;
  /** The PATH commands get. */
  readonly commandPath: string;
}

/** The processor of one catalog entry, by its type. */
export function buildProcessor(deps: ProcessorDependencies, name: string, spec: ProcessorSpec): Processor {
  switch (spec.type) {
    case ProcessorType.copy:
      return copyProcessor(name, deps);
    case ProcessorType.chunk:
      return chunkProcessor(name, spec, deps);
    case ProcessorType.command:
      return commandProcessor(name, spec, deps);
  }
}
