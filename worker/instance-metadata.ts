/**
 * The instance metadata service (IMDSv2, the only version the launch template allows): what the worker learns
 * about its own instance (type, how it was bought) and the interruption notices EC2 posts there.
 *
 * Not @aws-sdk/ec2-metadata-service: that client fetches a token for every request and, after one token request
 * times out, stops fetching tokens for good (`disableFetchToken`), which with IMDSv1 refused leaves a long-lived
 * poller failing on every later read. This one keeps a token for its lifetime and asks again only when it expires
 * or is refused.
 */
export interface InstanceMetadata {
  /** The text at `meta-data/<path>`; undefined when IMDS answers 404 (nothing posted there). Throws otherwise. */
  read(path: string, abortSignal?: AbortSignal): Promise<string | undefined>;
}

/** EC2's link-local IMDS address. */
export const IMDS_ENDPOINT = 'http://169.254.169.254';
/** Six hours, IMDS's longest token; renewed a minute before it ends. */
const TOKEN_TTL_SECONDS = 21_600;
const TOKEN_RENEW_EARLY_MS = 60_000;
/** IMDS answers in milliseconds on the instance; a hung read must not hold the 5-second poll. */
const REQUEST_TIMEOUT_MS = 2_000;

export interface InstanceMetadataOptions {
  /** @default IMDS_ENDPOINT — a local run's stand-in answers on 127.0.0.1 (local/standins/instance-metadata.ts) */
  readonly endpoint?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

export function createInstanceMetadata(options: InstanceMetadataOptions = {}): InstanceMetadata {
  const endpoint = (options.endpoint ?? IMDS_ENDPOINT).replace(/\/$/, '');
  const now = options.now ?? Date.now;
  let token: { value: string; expiresAtMs: number } | undefined;

  const signalFor = (abortSignal?: AbortSignal) =>
    abortSignal ? AbortSignal.any([abortSignal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS);

  async function sessionToken(abortSignal?: AbortSignal): Promise<string> {
    if (token && now() < token.expiresAtMs) return token.value;
    const response = await fetch(`${endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      signal: signalFor(abortSignal),
    });
    if (!response.ok) throw new Error(`IMDS refused a session token: HTTP ${response.status}`);
    token = { value: await response.text(), expiresAtMs: now() + TOKEN_TTL_SECONDS * 1000 - TOKEN_RENEW_EARLY_MS };
    return token.value;
  }

  return {
    async read(path, abortSignal) {
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(`${endpoint}/latest/meta-data/${path}`, {
          headers: { 'x-aws-ec2-metadata-token': await sessionToken(abortSignal) },
          signal: signalFor(abortSignal),
        });
        if (response.status === 404) {
          await response.body?.cancel();
          return undefined;
        }
        // 401: the token expired or was revoked; ask for a new one once.
        if (response.status === 401 && attempt === 1) {
          await response.body?.cancel();
          token = undefined;
          continue;
        }
        if (!response.ok) throw new Error(`IMDS answered HTTP ${response.status} for meta-data/${path}`);
        return response.text();
      }
    },
  };
}
