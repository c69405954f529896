import { COMMAND_EXIT_TEMPFAIL, templateSafeText } from '../../../contracts';

/** How a command's run ended, as the runner saw it (run.ts). */
export type CommandEnd =
  /** The program ran and its process exited: a code, or the signal that ended it. */
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  /** The program never started: `code` is the errno name (ENOENT, EACCES, …). */
  | { readonly kind: 'spawn-failed'; readonly code: string | undefined; readonly message: string }
  /** Stopped by the worker at the processor's timeout. */
  | { readonly kind: 'timed-out'; readonly timeoutSeconds: number }
  /** Stopped because the job was aborted (the worker stopping, or the message lost). */
  | { readonly kind: 'aborted' };

/** What the run means for the row. `aborted` is not judged here: the job rethrows its abort. */
export type ExitVerdict =
  | { readonly kind: 'success' }
  /** Retrying cannot help: FAILED with the reason. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** The message comes back; on its last receive the row is FAILED with the reason. */
  | { readonly kind: 'transient'; readonly reason: string };

/** The last stderr line quoted in a reason is cut to this many characters. */
const STDERR_LINE_LIMIT = 300;
/** Spawn errors that say the program cannot run as configured, whichever row it is given. */
const PERMANENT_SPAWN_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'command not found',
  EACCES: 'command not executable',
  ENOEXEC: 'command not executable',
  EISDIR: 'command not executable',
  ENOTDIR: 'command not found',
  E2BIG: 'command arguments too long',
};

/**
 * Pure: exit 0 → success; exit 75 (EX_TEMPFAIL) → transient; any other code or a signal → FAILED with the code
 * and the last line of stderr; a program that cannot start (not found, not executable) → FAILED; the timeout →
 * FAILED `timed out after N s`. Every reason is template-safe (contracts/events.ts).
 */
export function judgeEnd(end: Exclude<CommandEnd, { kind: 'aborted' }>, program: string, stderrTail: string): ExitVerdict {
  switch (end.kind) {
    case 'timed-out':
      return { kind: 'failed', reason: `timed out after ${end.timeoutSeconds} s` };
    case 'spawn-failed': {
      const known = end.code === undefined ? undefined : PERMANENT_SPAWN_ERRORS[end.code];
      const what = `‘${templateSafeText(program)}’ (${end.code ?? 'spawn failed'})`;
      return known === undefined
        ? { kind: 'transient', reason: `command ${what} could not start: ${templateSafeText(end.message)}` }
        : { kind: 'failed', reason: `${known}: ${what}` };
    }
    case 'exited': {
      if (end.code === 0) return { kind: 'success' };
      const line = lastLine(stderrTail);
      const said = line === undefined ? ' (nothing on stderr)' : `: ${line}`;
      if (end.code === COMMAND_EXIT_TEMPFAIL) return { kind: 'transient', reason: `command exited with code ${COMMAND_EXIT_TEMPFAIL} (EX_TEMPFAIL)${said}` };
      if (end.code !== null) return { kind: 'failed', reason: `command exited with code ${end.code}${said}` };
      return { kind: 'failed', reason: `command was killed by ${end.signal ?? 'a signal'}${said}` };
    }
  }
}

/** The last non-blank line of `text`, trimmed, cut to STDERR_LINE_LIMIT and made template-safe; undefined if none. */
export function lastLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n|\r/)
    .map((candidate) => candidate.trim())
    .filter((candidate) => candidate !== '')
    .at(-1);
  if (line === undefined) return undefined;
  const characters = Array.from(line);
  const cut = characters.length > STDERR_LINE_LIMIT ? `${characters.slice(0, STDERR_LINE_LIMIT).join('')}…` : line;
  return templateSafeText(cut);
}
