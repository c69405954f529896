/**
 * A problem the user can fix (bad argument, missing file, unknown id). The CLI prints its message alone and
 * exits non-zero; other errors (AWS refusing, network) are printed with their name so they can be told apart.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
