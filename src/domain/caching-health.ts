/**
 * Caching health: does a credential's client reuse its tokens? A client that caches needs about one token per
 * token lifetime per running instance, so an hour needs ceil(3600 / lifetime) tokens per source (an IPv4
 * address or an IPv6 /64) it was seen from. A credential is flagged when, in one full UTC hour, it minted at
 * least NOT_CACHING_MIN_MINTS tokens and more than NOT_CACHING_FACTOR times that need. Pure: the cron and the
 * admin views pass the counts in.
 */

/** Below this many mints in an hour a credential is never flagged: too little traffic to matter or to judge. */
export const NOT_CACHING_MIN_MINTS = 30;
/** How many times what a caching client needs an hour's mints must exceed to be flagged. */
export const NOT_CACHING_FACTOR = 4;

export type CachingStatus = "idle" | "ok" | "not_caching";

export interface CachingHealth {
  status: CachingStatus;
  /** Tokens minted in the hour judged. */
  mints: number;
  /** Tokens a caching client would have needed in that hour. */
  expected: number;
  /** Sources the credential was seen from in that hour (at least 1 when it minted). */
  sources: number;
}

/** Judges one hour of a credential's minting: `lifetimeSeconds` is the lifetime its tokens have. */
export function cachingHealth(mints: number, sources: number, lifetimeSeconds: number): CachingHealth {
  const seenFrom = Math.max(1, sources);
  const expected = seenFrom * Math.ceil(3600 / Math.max(1, lifetimeSeconds));
  if (mints === 0) return { status: "idle", mints, expected, sources };
  const status = mints >= NOT_CACHING_MIN_MINTS && mints > NOT_CACHING_FACTOR * expected ? "not_caching" : "ok";
  return { status, mints, expected, sources: seenFrom };
}
