/**
 * Rate limiting with the Workers Rate Limiting binding (counted per Cloudflare location, approximately).
 * On the token endpoint only failures are counted against a caller (RFC 6749 section 2.3.1): every failed or
 * unauthenticated request against its source (IPv4 address or IPv6 /64), and a failed authentication with a
 * well-formed client_id also against (client_id, source). A request whose credentials verify never consults
 * those counters, so a neighbour behind the same NAT cannot lock it out; its volume is limited per credential,
 * after authentication. The binding cannot be read without counting, so a key found over its limit is
 * remembered in the isolate until its window ends, and its further failures are refused without a binding call.
 */
import type { Context } from "hono";
import type { Env } from "../config";

/** The caller's IP as Cloudflare reports it. */
export function clientIp(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

/** True when the request is within the limit for `key`. */
export async function withinLimit(limiter: RateLimit, key: string): Promise<boolean> {
  const { success } = await limiter.limit({ key });
  return success;
}

/** Windows of the token endpoint's limiters, as configured in wrangler.toml (`period`). */
export const TOKEN_SOURCE_WINDOW_SECONDS = 10;
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
export const TOKEN_CLIENT_WINDOW_SECONDS = 10;

const MAX_REMEMBERED = 50_000;
const overUntil = new Map<string, number>();

/** Counts one failure against `key`; returns the Retry-After in seconds when the key is over its limit. */
async function countFailure(limiter: RateLimit, key: string, windowSeconds: number, nowMs: number): Promise<number | null> {
  const until = overUntil.get(key);
  if (until !== undefined) {
    if (until > nowMs) return Math.max(1, Math.ceil((until - nowMs) / 1000));
    overUntil.delete(key);
  }
  if (await withinLimit(limiter, key)) return null;
  if (overUntil.size >= MAX_REMEMBERED) overUntil.clear();
  overUntil.set(key, nowMs + windowSeconds * 1000);
  return windowSeconds;
}

/**
 * Records one failed or unauthenticated token request from `source` (and for `clientId`, a well-formed
 * client_id, or null). Returns the Retry-After in seconds when a key it counts against is over its limit:
 * the caller then answers 429 instead of the failure.
 */
export async function recordTokenFailure(env: Env, source: string, clientId: string | null, nowMs: number): Promise<number | null> {
  const [bySource, byClient] = await Promise.all([
    countFailure(env.TOKEN_SOURCE_LIMITER, source, TOKEN_SOURCE_WINDOW_SECONDS, nowMs),
    clientId === null ? null : countFailure(env.AUTH_FAILURE_LIMITER, `${clientId}|${source}`, AUTH_FAILURE_WINDOW_SECONDS, nowMs),
  ]);
  if (bySource === null && byClient === null) return null;
  return Math.max(bySource ?? 0, byClient ?? 0);
}
