import * as path from 'node:path';

/**
 * Pure: where one job's files live in its scratch directory. The command runs in `input/`, next to its input
 * file; only `output/` is uploaded; `home/` and `tmp/` are its HOME and TMPDIR, so tools that write caches
 * or temporary files write them where the job's cleanup removes them.
 */
export interface JobLayout {
  readonly jobDir: string;
  readonly inputDir: string;
  /** The downloaded input: `input/<the key's last segment>` (shortened when longer than a file name may be). */
  readonly inputFile: string;
  readonly outputDir: string;
  readonly homeDir: string;
  readonly tmpDir: string;
}

/** Linux's limit on one file name, in bytes. */
export const MAX_FILE_NAME_BYTES = 255;
/** An extension longer than this is not kept when a name is shortened. */
const MAX_KEPT_EXTENSION_BYTES = 32;

export function jobLayout(jobDir: string, rest: string): JobLayout {
  const inputDir = path.join(jobDir, 'input');
  return {
    jobDir,
    inputDir,
    inputFile: path.join(inputDir, scratchFileName(lastSegment(rest))),
    outputDir: path.join(jobDir, 'output'),
    homeDir: path.join(jobDir, 'home'),
    tmpDir: path.join(jobDir, 'tmp'),
  };
}

/** `reports/q1.pdf` → `q1.pdf`. `<rest>` never ends with `/` (runtime/item-paths.ts). */
export function lastSegment(rest: string): string {
  return rest.slice(rest.lastIndexOf('/') + 1);
}

/**
 * The key's last segment as a file name: itself when it fits in MAX_FILE_NAME_BYTES, else its start cut on a
 * character boundary, keeping a short extension, so tools that go by the extension still recognise the file.
 */
export function scratchFileName(segment: string): string {
  if (Buffer.byteLength(segment, 'utf8') <= MAX_FILE_NAME_BYTES) return segment;
  const dot = segment.lastIndexOf('.');
  const extension = dot > 0 && Buffer.byteLength(segment.slice(dot), 'utf8') <= MAX_KEPT_EXTENSION_BYTES ? segment.slice(dot) : '';
  const budget = MAX_FILE_NAME_BYTES - Buffer.byteLength(extension, 'utf8');
  let stem = '';
  for (const char of segment.slice(0, segment.length - extension.length)) {
    if (Buffer.byteLength(stem + char, 'utf8') > budget) break;
    stem += char;
  }
  return stem + extension;
}
