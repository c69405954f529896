/**
 * Pure: what a soak's rows are processed with, and so where a FINISHED row's output is and what each row must
 * end as. The default mode copies (the built-in `copy`); the command mode (command-mode.ts) runs every row
 * through a command processor.
 */
import { ItemAttribute, WorkerLogEvent, type WorkerLogEventName } from '../../contracts';
import { planItemPaths, s3Url } from '../../runtime/item-paths';
import type { Row } from './observe';
import { expectedOutcome, type ExpectedOutcome, type PlannedRow } from './plan';

export interface SoakMode {
  readonly name: 'copy' | 'command';
  /** The worker log line on which a due kill hits its worker. */
  readonly killOn: WorkerLogEventName;
  /** The output_path a FINISHED row must carry: the output of the s3_path it holds (undefined: no valid path). */
  expectedOutputPath(row: Row, bucketName: string): string | undefined;
  /** The key of the object that must equal the row's input, once its output_path is right. */
  outputObjectKey(row: Row, bucketName: string): string | undefined;
  /** What the row must end as when nothing goes wrong. */
  expectedOutcome(planned: PlannedRow): ExpectedOutcome;
}

/** The row's checked paths, from the s3_path it holds. */
export function rowPaths(row: Row, bucketName: string) {
  const s3Path = row[ItemAttribute.s3Path]?.S;
  if (s3Path === undefined) return undefined;
  const check = planItemPaths(s3Path, bucketName);
  return check.ok ? check.paths : undefined;
}

/** `copy`: the output is `data/output/<rest>`, the object itself. */
export const COPY_MODE: SoakMode = {
  name: 'copy',
  killOn: WorkerLogEvent.messageReceived,
  expectedOutputPath: (row, bucketName) => {
    const paths = rowPaths(row, bucketName);
    return paths === undefined ? undefined : s3Url(bucketName, paths.outputKey);
  },
  outputObjectKey: (row, bucketName) => rowPaths(row, bucketName)?.outputKey,
  expectedOutcome,
};
