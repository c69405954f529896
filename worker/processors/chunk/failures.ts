/**
 * The document can never be chunked as it is (empty, corrupt, encrypted, a scan, not the type its name says,
 * too large): retrying cannot help, so the row ends FAILED with `reason`. Every other error is transient.
 */
export class BadDocumentError extends Error {
  override readonly name = 'BadDocumentError';
  constructor(readonly reason: string) {
    super(reason);
  }
}
