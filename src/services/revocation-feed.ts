/**
 * The revocation feed of one tenant: the credentials whose tokens issued before a time are dead and the
 * jtis revoked one by one, each listed only until its tokens would have expired (plus clock skew), signed
 * as a `latchkey-revocations+jwt`. Its ETag is a hash of the content, not of the JWT, so a poller gets 304
 * until something changes. An isolate reuses a tenant's feed for FEED_MEMO_MS, and a revocation made in
 * this isolate drops it at once; other isolates pick a change up within that memo (they read the primary).
 * Each tenant's feed is signed by its own key ring and names its own issuer (docs/realms.md).
 */
import { CLOCK_SKEW_SECONDS } from "../config";
import type { RequestContext } from "../context";
import { issuerFor } from "../domain/realms";
import { contentTag, signRevocationFeed } from "../crypto/revocation-feed-jwt";
import { liveRevocations } from "../storage/token-revocations";
import { FEED_JWT_LIFETIME_SECONDS, FEED_MEMO_MS } from "../tunables";
import { keyRing } from "./signing-key-ring";

/** A signed feed and its content tag. */
export interface SignedFeed {
  jwt: string;
  etag: string;
}

/** The listed content of a feed, before signing. */
export interface FeedContent {
  revoked_clients: { client_id: string; not_before: number }[];
  revoked_jtis: { jti: string; exp: number }[];
}

const memo = new Map<string, { feed: Promise<SignedFeed>; madeAt: number }>();

/** What the feed reads: the D1 primary and the configuration (the key ring, the issuer). */
export type FeedDeps = Pick<RequestContext, "db" | "config">;

/** The tenant's live revocations at `nowMs` in feed form (times as NumericDate seconds). */
export async function feedContent(deps: FeedDeps, tenantId: string, nowMs: number): Promise<FeedContent> {
  const { clients, tokens } = await liveRevocations(deps.db, tenantId, nowMs, CLOCK_SKEW_SECONDS * 1000);
  return {
    revoked_clients: clients.map((c) => ({ client_id: c.clientId, not_before: Math.ceil(c.notBefore / 1000) })),
    revoked_jtis: tokens.map((t) => ({ jti: t.jti, exp: Math.floor(t.expiresAt / 1000) })),
  };
}

async function makeFeed(deps: FeedDeps, tenantId: string, nowMs: number): Promise<SignedFeed> {
  const content = await feedContent(deps, tenantId, nowMs);
  const issuer = issuerFor(deps.config, tenantId);
  const etag = await contentTag(JSON.stringify({ iss: issuer, tenant: tenantId, ...content }));
  const iat = Math.floor(nowMs / 1000);
  const { signer } = await keyRing({ db: deps.db, config: deps.config, realm: tenantId }, nowMs);
  const jwt = await signRevocationFeed(
    { iss: issuer, sub: tenantId, tenant: tenantId, iat, exp: iat + FEED_JWT_LIFETIME_SECONDS, ...content },
    signer,
  );
  return { jwt, etag: `"${etag}"` };
}

/** The signed feed of `tenantId`, reused for FEED_MEMO_MS within this isolate. */
export function tenantRevocationFeed(deps: FeedDeps, tenantId: string, nowMs: number): Promise<SignedFeed> {
  const hit = memo.get(tenantId);
  if (hit && hit.madeAt <= nowMs && nowMs - hit.madeAt < FEED_MEMO_MS) return hit.feed;
  const feed = makeFeed(deps, tenantId, nowMs);
  memo.set(tenantId, { feed, madeAt: nowMs });
  feed.catch(() => {
    if (memo.get(tenantId)?.feed === feed) memo.delete(tenantId);
  });
  return feed;
}

/** Drops this isolate's feed of `tenantId` (after a revocation here), so the next read lists it. */
export function forgetRevocationFeed(tenantId: string): void {
  memo.delete(tenantId);
}
