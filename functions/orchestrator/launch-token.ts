import { createHash } from 'node:crypto';

/**
 * The length of a token window. Runs that decide within one window and see the same free slot send the
 * same token, so EC2 launches one instance for all of them. Longer windows make a run straddling a
 * boundary (docs/orchestrator.md, "What remains") rarer; shorter ones keep the instances launched in a
 * window listed after they terminate ("Recently terminated instances might appear in the returned
 * results. This interval is usually less than one hour.": DescribeInstances API reference), so the
 * generation search below starts from what the runs can see.
 */
export const LAUNCH_WINDOW_MS = 10 * 60_000;

/** EC2 accepts client tokens of up to 64 ASCII characters. */
const MAX_CLIENT_TOKEN_LENGTH = 64;

/** The start of the window `nowMs` falls in. */
export function launchWindowStart(nowMs: number, windowMs: number = LAUNCH_WINDOW_MS): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

/** Where a token sits: the slot, the window and the generation (how many tokens the slot used up before). */
export interface TokenScope {
  readonly slot: number;
  readonly windowStartMs: number;
  readonly generation: number;
}

/**
 * The client token for one launch request: a hash of every parameter (except the token itself), the slot, the
 * window and the generation. Every parameter is in it, so a request can never reuse a token with different
 * parameters, which EC2 refuses with IdempotentParameterMismatch ("Arguments on this idempotent request are
 * inconsistent with arguments used in previous request(s)"; runs-on/runs-on#251 met it retrying a Spot
 * CreateFleet as on-demand with the same token): Spot and on-demand, a new AMI, another template version or a
 * configuration change all get their own token. The readable prefix helps whoever reads the launch-token tag.
 */
export function clientToken(request: { readonly ClientToken?: string }, scope: TokenScope): string {
  const parameters: Record<string, unknown> = { ...request };
  delete parameters.ClientToken;
  const digest = createHash('sha256')
    .update(JSON.stringify({ scope: [scope.slot, scope.windowStartMs, scope.generation], parameters: canonical(parameters) }))
    .digest('hex')
    .slice(0, 40);
  const token = `rag-s${scope.slot}-g${scope.generation}-${digest}`;
  if (token.length > MAX_CLIENT_TOKEN_LENGTH) throw new RangeError(`slot ${scope.slot}, generation ${scope.generation} make the client token too long`);
  return token;
}

/**
 * The smallest generation from `from` on none of whose tokens (one per capacity type the slot tries) was used by
 * an instance DescribeInstances lists, in any state (its launch-token tag). A terminated or shutting-down instance
 * keeps its token: reusing it would return that instance again. Every run that sees the same instances picks the
 * same generation; `limit` bounds the search (throws past it).
 */
export function firstUnusedGeneration(
  tokensOf: (generation: number) => readonly string[],
  used: ReadonlySet<string>,
  { from = 0, limit }: { readonly from?: number; readonly limit: number },
): number {
  for (let generation = from; generation <= limit; generation++) {
    if (!tokensOf(generation).some((token) => used.has(token))) return generation;
  }
  throw new RangeError(`every client token generation up to ${limit} is used by an instance listed this window`);
}

/** The value with every object's keys sorted, so equal requests serialize identically. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, canonical(entry)]),
    );
  }
  return value;
}
