/** HTTP status of an SDK error, when the service answered. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}
