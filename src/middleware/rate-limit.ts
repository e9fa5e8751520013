/**
 * Per-IP rate limiting for the endpoints outside the token pipeline (setup-code redemption, bootstrap),
 * with the Workers Rate Limiting binding. The token endpoint's failure limits are in oauth/failure-limits.ts.
 */
import type { Context } from "hono";

export { withinLimit } from "../services/rate-limits";

/** The caller's IP as Cloudflare reports it. */
export function clientIp(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}
