/**
 * Rate limiting with the Workers Rate Limiting binding (counted per Cloudflare location, approximately).
 * Keys combine the client IP with what is being limited: keying by client_id alone would let anyone
 * lock a client out by sending bad requests in its name.
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

const blockedUntil = new Map<string, number>();
const BLOCK_MS = 60_000;

/**
 * Failed client authentications per IP (RFC 6749 section 2.3.1 brute-force protection). The binding cannot
 * be queried without counting, so an IP that trips it is also remembered in the isolate and refused for a
 * minute, successes included: a guess that happens to be right is not told apart from a wrong one.
 */
export const authFailures = {
  isBlocked(ip: string, nowMs: number): boolean {
    const until = blockedUntil.get(ip);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    blockedUntil.delete(ip);
    return false;
  },
  async record(env: Env, ip: string, nowMs: number): Promise<boolean> {
    if (await withinLimit(env.AUTH_FAILURE_LIMITER, ip)) return false;
    if (blockedUntil.size > 50_000) blockedUntil.clear();
    blockedUntil.set(ip, nowMs + BLOCK_MS);
    return true;
  },
};
export const AUTH_FAILURE_RETRY_AFTER_SECONDS = BLOCK_MS / 1000;
