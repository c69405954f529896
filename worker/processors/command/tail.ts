/**
 * The last `limit` bytes of a stream and how many it carried in all: what the worker keeps of a command's stdout
 * and stderr, so a command that writes gigabytes costs it a few kilobytes.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private held = 0;
  private seen = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.seen += chunk.length;
    const kept = chunk.length > this.limit ? chunk.subarray(chunk.length - this.limit) : chunk;
    this.chunks.push(kept);
    this.held += kept.length;
    while (this.held - this.chunks[0].length >= this.limit) this.held -= this.chunks.shift()!.length;
  }

  /** Bytes the stream carried, kept or not. */
  get totalBytes(): number {
    return this.seen;
  }

  /** The kept bytes: at most `limit`, the stream's last. */
  bytes(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.length > this.limit ? all.subarray(all.length - this.limit) : all;
  }

  /** The kept bytes as text (invalid UTF-8, such as a character cut at the start, becomes U+FFFD). */
  text(): string {
    return this.bytes().toString('utf8');
  }
}
