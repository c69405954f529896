/**
 * How a worker's time is shared among the rows it processes at once: while n jobs run, each is charged 1/n of every
 * second. A row's `instance_seconds` is its share, so the rows of a batch add up to the time their workers were
 * busy, and the cost estimate (`npx pipeline status`) prices exactly that. The running total of 1/n over time moves
 * only when a job starts or ends, so each is O(1).
 */
export class Occupancy {
  private running = 0;
  /** ∫ 1/n dt in milliseconds, up to {@link lastMs}. */
  private shareMs = 0;
  private lastMs: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastMs = now();
  }

  /** A job starts; the returned function ends it and says how long it ran and its share of the worker. */
  begin(): () => { readonly processingMs: number; readonly instanceMs: number } {
    this.advance();
    this.running += 1;
    const startedAtMs = this.lastMs;
    const startShareMs = this.shareMs;
    let ended: { processingMs: number; instanceMs: number } | undefined;
    return () => {
      if (ended) return ended;
      this.advance();
      this.running -= 1;
      ended = { processingMs: this.lastMs - startedAtMs, instanceMs: this.shareMs - startShareMs };
      return ended;
    };
  }

  private advance(): void {
    const nowMs = this.now();
    if (this.running > 0) this.shareMs += (nowMs - this.lastMs) / this.running;
    this.lastMs = nowMs;
  }
}
