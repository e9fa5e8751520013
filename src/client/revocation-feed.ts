/**
 * The revocation feed for resource servers that verify offline: polls Latchkey's signed feed
 * (`/.well-known/latchkey-revocations`, a `latchkey-revocations+jwt` signed with the JWKS keys) in the
 * background, with If-None-Match, and refuses tokens it names (a credential's tokens issued before its
 * `not_before`, or a revoked `jti`). A feed that fails verification is ignored like an unreachable one. When
 * no feed has been confirmed for longer than the staleness bound, tokens are refused (fail closed, the
 * default) or accepted on the last known feed (fail open): the integrator's explicit choice.
 */
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { FetchLike } from "./discovery.js";
import { LatchkeyError, TokenVerificationError } from "./errors.js";
import { requireSecureUrl } from "./secure-url.js";

/** The `typ` of every feed Latchkey signs. */
export const REVOCATION_FEED_TYP = "latchkey-revocations+jwt";

/** A timer source: the global one by default, a manual one in tests. */
export interface FeedScheduler {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What one refresh found: `updated` (a new feed), `unchanged` (304), or `failed` with the error. */
export type FeedRefresh = { outcome: "updated" | "unchanged" } | { outcome: "failed"; error: LatchkeyError };

/** Options of the revocation feed, given to the verifier as `revocationFeed`. */
export interface RevocationFeedOptions {
  /** The feed URL. Default `${issuer}/.well-known/latchkey-revocations`. */
  uri?: string;
  /** Seconds between two polls. Default 20. */
  pollIntervalSeconds?: number;
  /** How long a feed may go unconfirmed (no 200 that verified, no 304) before `onStale` applies. Default 120. */
  maxStalenessSeconds?: number;
  /** What a stale feed means: refuse every token (`fail-closed`, default) or trust the last known feed (`fail-open`). */
  onStale?: "fail-closed" | "fail-open";
  /** The clock in ms. Default Date.now. */
  now?: () => number;
  /** Timers for polling. Default the global setTimeout (unref'd in Node, so polling never holds a process open). */
  scheduler?: FeedScheduler;
  /** Called after every refresh, background or not. */
  onRefresh?: (result: FeedRefresh) => void;
}

/** What the feed needs from its verifier: the issuer, its key set, the accepted algorithms and fetch. */
export interface FeedSource {
  issuer: string;
  keys: () => Promise<JWTVerifyGetKey>;
  algorithms: string[];
  fetch: FetchLike;
}

/** A polling feed; see {@link createRevocationFeed}. */
export interface RevocationFeed {
  /** Throws TokenVerificationError for a revoked token, LatchkeyError `revocation_unavailable` when stale and closed. */
  check(claims: { client_id?: unknown; jti?: unknown; iat?: unknown }): Promise<void>;
  /** Fetches the feed now (polling continues on its own schedule). */
  refresh(): Promise<FeedRefresh>;
  /** Stops polling. */
  stop(): void;
}

interface FeedState {
  notBefore: Map<string, number>;
  jtis: Set<string>;
}

const defaultScheduler: FeedScheduler = {
  setTimeout(run, ms) {
    const handle = setTimeout(run, ms) as unknown as { unref?: () => void };
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function parseFeed(payload: JWTPayload): FeedState {
  const clients = payload.revoked_clients;
  const jtis = payload.revoked_jtis;
  if (!Array.isArray(clients) || !Array.isArray(jtis)) throw new Error("feed lists missing");
  const notBefore = new Map<string, number>();
  for (const c of clients) {
    if (typeof c?.client_id !== "string" || typeof c?.not_before !== "number") throw new Error("bad client entry");
    notBefore.set(c.client_id, c.not_before);
  }
  const revoked = new Set<string>();
  for (const t of jtis) {
    if (typeof t?.jti !== "string") throw new Error("bad jti entry");
    revoked.add(t.jti);
  }
  return { notBefore, jtis: revoked };
}

/**
 * Creates a feed for one issuer; the first `check` starts polling and waits for the first refresh.
 * @throws TypeError at once when the feed URL is not https (plain http only for loopback).
 */
export function createRevocationFeed(source: FeedSource, options: RevocationFeedOptions = {}): RevocationFeed {
  const uri = options.uri ?? `${source.issuer}/.well-known/latchkey-revocations`;
  requireSecureUrl(uri, "revocationFeed.uri");
  const now = options.now ?? Date.now;
  const scheduler = options.scheduler ?? defaultScheduler;
  const intervalMs = (options.pollIntervalSeconds ?? 20) * 1000;
  const staleMs = (options.maxStalenessSeconds ?? 120) * 1000;
  const failOpen = options.onStale === "fail-open";
  let state: FeedState = { notBefore: new Map(), jtis: new Set() };
  let etag: string | undefined;
  let confirmedAt: number | undefined;
  let first: Promise<FeedRefresh> | undefined;
  let timer: unknown;
  let stopped = false;

  async function load(): Promise<"updated" | "unchanged"> {
    let res: Response;
    try {
      res = await source.fetch(uri, { headers: etag ? { "if-none-match": etag } : {}, redirect: "error" });
    } catch (error) {
      throw new LatchkeyError("network_error", "The revocation feed could not be fetched", { cause: error });
    }
    if (res.status === 304 && etag !== undefined) return "unchanged";
    if (res.status !== 200)
      throw new LatchkeyError("invalid_response", "The revocation feed answered an error", { status: res.status });
    try {
      const { payload } = await jwtVerify(await res.text(), await source.keys(), {
        issuer: source.issuer,
        typ: REVOCATION_FEED_TYP,
        algorithms: source.algorithms,
        requiredClaims: ["iat", "exp"],
      });
      state = parseFeed(payload);
    } catch (error) {
      const transport = error instanceof TypeError && !(error instanceof errors.JOSEError);
      throw new LatchkeyError(transport ? "network_error" : "invalid_response", "The revocation feed did not verify", {
        cause: error,
      });
    }
    etag = res.headers.get("etag") ?? undefined;
    return "updated";
  }

  async function refresh(): Promise<FeedRefresh> {
    let result: FeedRefresh;
    try {
      result = { outcome: await load() };
      confirmedAt = now();
    } catch (error) {
      const wrapped =
        error instanceof LatchkeyError
          ? error
          : new LatchkeyError("invalid_response", "The revocation feed failed", { cause: error });
      result = { outcome: "failed", error: wrapped };
    }
    options.onRefresh?.(result);
    return result;
  }

  function schedule(): void {
    if (stopped) return;
    timer = scheduler.setTimeout(() => {
      void refresh().finally(schedule);
    }, intervalMs);
  }

  function start(): Promise<FeedRefresh> {
    first ??= refresh().finally(schedule);
    return first;
  }

  return {
    async check(claims) {
      await start();
      const stale = confirmedAt === undefined || now() - confirmedAt > staleMs;
      if (stale && !failOpen) {
        throw new LatchkeyError(
          "revocation_unavailable",
          "The revocation feed is stale: tokens are refused (fail closed)",
        );
      }
      const iat = typeof claims.iat === "number" ? claims.iat : 0;
      const notBefore = typeof claims.client_id === "string" ? state.notBefore.get(claims.client_id) : undefined;
      const revokedJti = typeof claims.jti === "string" && state.jtis.has(claims.jti);
      if (revokedJti || (notBefore !== undefined && iat < notBefore)) {
        throw new TokenVerificationError("invalid_token", "The access token was revoked");
      }
    },
    refresh,
    stop() {
      stopped = true;
      if (timer !== undefined) scheduler.clearTimeout(timer);
    },
  };
}
