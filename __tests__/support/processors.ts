import type { S3Client } from '@aws-sdk/client-s3';
import { COPY_ONLY_CATALOG, type ProcessorCatalog } from '../../contracts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildProcessor } from '../../worker/processors/build';
import { ScratchSpace } from '../../worker/processors/command/scratch';
import { ProcessorRegistry } from '../../worker/processors/registry';

/** A worker's processors as main.ts builds them, from a catalog (only `copy` unless given). */
export function processorRegistry(
  s3: S3Client,
  catalog: ProcessorCatalog = COPY_ONLY_CATALOG,
  reload?: () => Promise<ProcessorCatalog>,
): ProcessorRegistry {
  return new ProcessorRegistry({
    catalog,
    build: (name, spec) =>
      buildProcessor(
        {
          s3,
          multipartThresholdBytes: 5 * 1024 ** 3,
          scratch: new ScratchSpace({ root: mkdtempSync(path.join(tmpdir(), 'worker-scratch-')), reserveBytes: 0 }),
          commandPath: process.env.PATH ?? '',
        },
        name,
        spec,
      ),
    reload,
  });
}
