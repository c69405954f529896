import type { LaunchBudgetSettings } from './config';

/** Stops a tick's launching before the function's timeout: a cap on calls, and a deadline. */
export type BudgetAnswer =
  | { readonly allowed: true; /** Aborts the call a little before the deadline. */ readonly signal: AbortSignal }
  | { readonly allowed: false; readonly reason: 'deadline' | 'call-cap' };

/** A call still in flight this long before the deadline is aborted: the tick must still log and return. */
const ABORT_BEFORE_DEADLINE_MS = 5_000;

/**
 * One tick's launch budget. A backlog that needs 100 workers cannot launch them all in one 60 s run (EC2 refills
 * its launch rate at a few calls a second, and throttled calls back off): the tick makes at most `maxCalls` calls,
 * starts none with less than `reserveMs` left, and leaves the rest to the next run, which sends the same client
 * tokens for slots already launched.
 */
export class LaunchBudget {
  private calls = 0;

  constructor(
    private readonly settings: LaunchBudgetSettings,
    private readonly deadlineMs: number,
    private readonly now: () => number,
  ) {}

  /** Asks for one CreateFleet call. */
  next(): BudgetAnswer {
    if (this.calls >= this.settings.maxCalls) return { allowed: false, reason: 'call-cap' };
    const leftMs = this.deadlineMs - this.now();
    if (leftMs < this.settings.reserveMs) return { allowed: false, reason: 'deadline' };
    this.calls += 1;
    return { allowed: true, signal: AbortSignal.timeout(Math.max(1, leftMs - ABORT_BEFORE_DEADLINE_MS)) };
  }

  /** Calls made so far. */
  used(): number {
    return this.calls;
  }
}
