import type { Bounds } from './tuning';

/**
 * The `command` processor's contract (docs/processors.md, "command"): the user's own program, run once per row on
 * the worker. Shared by the typed configuration checked at synth (config/processors.ts), the resolver both the
 * synth and the worker use (runtime/processors/command-spec.ts) and the worker that runs it
 * (worker/processors/command/).
 *
 * - The program gets an argv, never a shell string: `command` is a list whose first element is the program
 *   (an absolute path, or a bare name looked up on PATH) and whose other elements may hold placeholders. A
 *   placeholder's value always stays inside the one argument that holds it, whatever characters it has.
 * - The same values reach the program as environment variables ({@link COMMAND_PLACEHOLDERS}).
 * - Exit 0: every regular file of the output directory becomes an object under {@link commandOutputPrefix}.
 *   Exit {@link COMMAND_EXIT_TEMPFAIL}: transient, the message comes back. Any other end: FAILED with the exit
 *   code (or signal) and the last line of stderr.
 */

/**
 * The placeholders of an argv template, `{name}`, and the environment variable carrying the same value. `{{`
 * and `}}` stand for a literal brace.
 */
export const COMMAND_PLACEHOLDERS = {
  /** The downloaded input file: an absolute path in the job's scratch directory, named like the key's last segment. */
  input: 'RAG_INPUT_FILE',
  /** The job's output directory: absolute, empty when the command starts. */
  output_dir: 'RAG_OUTPUT_DIR',
  /** The row's `id`. */
  id: 'RAG_ITEM_ID',
  /** The key's `<rest>` (`data/input/<rest>`), e.g. `reports/2026/q1.pdf`. */
  rest: 'RAG_INPUT_REST',
  /** The key's last segment, e.g. `q1.pdf`: to name an output after the input. */
  input_name: 'RAG_INPUT_NAME',
} as const;
export type CommandPlaceholder = keyof typeof COMMAND_PLACEHOLDERS;

/**
 * The placeholders a `stdoutFile` may hold: it names one file inside the output directory, so it takes no
 * path (`{input}`, `{output_dir}` and `{rest}` hold slashes).
 */
export const STDOUT_FILE_PLACEHOLDERS: readonly CommandPlaceholder[] = ['input_name', 'id'];

/**
 * The command's time limit, in seconds. Default one hour. At most 11 hours: the worker keeps a message hidden
 * for at most 12 hours from its receive (SQS's cap, worker/visibility.ts), and the hour left over is for the
 * download, the kill grace, the upload and the outcome write.
 */
export const COMMAND_TIMEOUT_SECONDS = { default: 3_600, min: 1, max: 39_600 } as const satisfies Bounds;

/**
 * Seconds between the TERM sent to the command's process group (timeout, or the worker stopping) and the KILL.
 * At most 15: on SIGTERM the worker's whole stop must fit the unit's TimeoutStopSec
 * (runtime/bootstrap/user-data-template.ts), and a Spot interruption gives two minutes.
 */
export const COMMAND_KILL_GRACE_SECONDS = { default: 5, min: 1, max: 15 } as const satisfies Bounds;

/** EX_TEMPFAIL (sysexits.h), "try again later": the message comes back, and on its last receive the row is FAILED. */
export const COMMAND_EXIT_TEMPFAIL = 75;

/** Limits of an argv template, checked at synth. */
export const COMMAND_LIMITS = {
  /** Arguments, the program included. */
  maxArguments: 256,
  /** Characters of one template argument (before placeholders are filled). */
  maxArgumentLength: 8_192,
  /** Extra environment variables. */
  maxEnvironment: 64,
  /** Characters of one extra environment value. */
  maxEnvironmentValueLength: 8_192,
} as const;

/**
 * Where a command processor's outputs for one row go: `data/output/<rest>/<processor>/`. The processor's name keeps
 * two processors run on the same input (text extraction and thumbnails of one PDF) from replacing each other's
 * outputs, since each run deletes what an earlier one left under its prefix. The row's `output_path` names it.
 */
export function commandOutputPrefix(outputKey: string, processor: string): string {
  return `${outputKey}/${processor}/`;
}

/**
 * Above {@link MAX_LISTED_OUTPUT_KEYS} outputs, the command processor writes this JSON manifest (`{"keys": […]}`)
 * under the outputs' prefix, `data/output/<rest>/<processor>/<this name>`, and the row names it in `output_manifest`. The
 * name is the pipeline's: a command that writes a file of that name fails.
 */
export const COMMAND_MANIFEST_FILE = '_rag-manifest.json';

/** Files one command may leave in its output directory; more fail the row (a runaway command, not outputs). */
export const MAX_COMMAND_OUTPUT_FILES = 10_000;
