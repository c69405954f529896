/** `Name: message` for an Error, the string form of anything else: the `error` field of log lines. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
