/**
 * The tunables that mirror wrangler.toml equal it: each rate limit's Retry-After is its binding's `period`
 * (a client told to wait less would be refused again, one told to wait longer is kept out for nothing). The
 * orderings the code relies on hold too. wrangler.toml is read as text (Vite `?raw`) and its [[ratelimits]]
 * tables parsed here, since workerd has no TOML parser and the file's shape is simple.
 */
import { describe, expect, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import * as tunables from "../../src/tunables";

/** `period` of every [[ratelimits]] table, by binding name. */
function rateLimitPeriods(toml: string): Map<string, number> {
  const periods = new Map<string, number>();
  for (const table of toml.split(/^\[\[ratelimits\]\]\s*$/m).slice(1)) {
    const body = table.split(/^\[/m)[0] ?? "";
    const name = /^name\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    const period = /^simple\s*=\s*\{[^}]*\bperiod\s*=\s*(\d+)/m.exec(body)?.[1];
    if (name === undefined || period === undefined) throw new Error(`unreadable [[ratelimits]] table: ${body}`);
    periods.set(name, Number(period));
  }
  return periods;
}

const RETRY_AFTER_OF_BINDING: Record<string, number> = {
  TOKEN_SOURCE_LIMITER: tunables.TOKEN_SOURCE_WINDOW_SECONDS,
  TOKEN_CLIENT_LIMITER: tunables.TOKEN_CLIENT_WINDOW_SECONDS,
  AUTH_FAILURE_LIMITER: tunables.AUTH_FAILURE_WINDOW_SECONDS,
  REDEEM_IP_LIMITER: tunables.REDEEM_WINDOW_SECONDS,
  INTROSPECTION_LIMITER: tunables.INTROSPECTION_WINDOW_SECONDS,
  DEVICE_LIMITER: tunables.DEVICE_START_WINDOW_SECONDS,
};

describe("tunables", () => {
  it("give every rate limit binding in wrangler.toml a Retry-After equal to its period", () => {
    const periods = rateLimitPeriods(wranglerToml);
    expect([...periods.keys()].sort()).toEqual(Object.keys(RETRY_AFTER_OF_BINDING).sort());
    for (const [binding, retryAfter] of Object.entries(RETRY_AFTER_OF_BINDING)) {
      expect({ binding, retryAfter }).toEqual({ binding, retryAfter: periods.get(binding) });
    }
  });

  it("keep the orderings the token path relies on", () => {
    // A pinned revocation outlives the window in which a changed credential is read from the primary.
    expect(tunables.REVOCATION_PIN_MS).toBeGreaterThan(tunables.REPLICA_LAG_ALLOWANCE_MS);
    // Trailing usage flushes run within waitUntil's ~30 s grace after the response.
    expect(tunables.USAGE_FLUSH_WINDOW_MS).toBeLessThan(30_000);
    // KV's edge cache has a 30 s minimum.
    expect(tunables.REVOCATION_KV_CACHE_TTL_SECONDS).toBeGreaterThanOrEqual(30);
  });
});
