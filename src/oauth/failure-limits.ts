/**
 * The token endpoint's failure limits (RFC 6749 section 2.3.1). Only failures are counted against a caller:
 * every failed or unauthenticated request against its source (IPv4 address or IPv6 /64), and a failed
 * authentication with a well-formed client_id also against (client_id, source). A request whose credentials
 * verify never consults those counters, so a neighbour behind the same NAT cannot lock it out; its volume is
 * limited per credential, after authentication. The binding cannot be read without counting, so a key found
 * over its limit is remembered in the isolate until its window ends, and its further failures are refused
 * without a binding call.
 */
import type { Env } from "../config";
import { withinLimit } from "../services/rate-limits";
import { AUTH_FAILURE_WINDOW_SECONDS, FAILURE_MEMO_MAX_KEYS, TOKEN_SOURCE_WINDOW_SECONDS } from "../tunables";

/** The limiter bindings the token endpoint counts with. */
export type TokenLimiters = Pick<Env, "TOKEN_SOURCE_LIMITER" | "AUTH_FAILURE_LIMITER" | "TOKEN_CLIENT_LIMITER">;

const overUntil = new Map<string, number>();

/** Counts one failure against `key`; returns the Retry-After in seconds when the key is over its limit. */
async function countFailure(
  limiter: RateLimit,
  key: string,
  windowSeconds: number,
  nowMs: number,
): Promise<number | null> {
  const until = overUntil.get(key);
  if (until !== undefined) {
    if (until > nowMs) return Math.max(1, Math.ceil((until - nowMs) / 1000));
    overUntil.delete(key);
  }
  if (await withinLimit(limiter, key)) return null;
  if (overUntil.size >= FAILURE_MEMO_MAX_KEYS) overUntil.clear();
  overUntil.set(key, nowMs + windowSeconds * 1000);
  return windowSeconds;
}

/**
 * Records one failed or unauthenticated token request from `source` (and for `clientId`, a well-formed
 * client_id, or null). Returns the Retry-After in seconds when a key it counts against is over its limit:
 * the caller then answers 429 instead of the failure.
 */
export async function recordTokenFailure(
  limiters: TokenLimiters,
  source: string,
  clientId: string | null,
  nowMs: number,
): Promise<number | null> {
  const [bySource, byClient] = await Promise.all([
    countFailure(limiters.TOKEN_SOURCE_LIMITER, source, TOKEN_SOURCE_WINDOW_SECONDS, nowMs),
    clientId === null
      ? null
      : countFailure(limiters.AUTH_FAILURE_LIMITER, `${clientId}|${source}`, AUTH_FAILURE_WINDOW_SECONDS, nowMs),
  ]);
  if (bySource === null && byClient === null) return null;
  return Math.max(bySource ?? 0, byClient ?? 0);
}

/** Counts one verified mint against its credential; false when it is over its limit (Retry-After TOKEN_CLIENT_WINDOW_SECONDS). */
export function withinMintLimit(limiters: TokenLimiters, credentialId: string): Promise<boolean> {
  return withinLimit(limiters.TOKEN_CLIENT_LIMITER, credentialId);
}
