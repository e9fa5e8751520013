/**
 * GET /.well-known/latchkey-revocations: the signed revocation feed (services/revocation-feed.ts) that
 * resource servers poll to refuse revoked tokens while verifying offline. Each issuer serves its own tenant's
 * feed: the default tenant's at the root, every other tenant's under /t/{tenant} (the realm of the request).
 * Cacheable for seconds, with a content ETag (304 on a match).
 */
import { Hono } from "hono";
import type { AppEnv, RequestContext } from "../context";
import { problems } from "../domain/errors";
import { ctxOf } from "../middleware/request-context";
import { tenantRevocationFeed } from "../services/revocation-feed";
import { FEED_MAX_AGE_SECONDS } from "../tunables";

/** The path of an issuer's feed, below the issuer (named in metadata as `latchkey_revocations_uri`). */
export const REVOCATION_FEED_PATH = "/.well-known/latchkey-revocations";

/** The response for `tenantId`'s feed: the JWT, or 304 when `If-None-Match` names its current ETag. */
export async function revocationFeedResponse(
  ctx: RequestContext,
  tenantId: string,
  ifNoneMatch: string | undefined,
): Promise<Response> {
  const feed = await tenantRevocationFeed(ctx, tenantId, ctx.clock());
  const headers = {
    "Cache-Control": `public, max-age=${FEED_MAX_AGE_SECONDS}`,
    ETag: feed.etag,
  };
  const tags = ifNoneMatch?.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (tags?.includes(feed.etag) || tags?.includes("*")) return new Response(null, { status: 304, headers });
  return new Response(feed.jwt, { status: 200, headers: { ...headers, "Content-Type": "application/jwt" } });
}

export const revocationFeedRoutes = new Hono<AppEnv>();

revocationFeedRoutes.get(REVOCATION_FEED_PATH, (c) =>
  revocationFeedResponse(ctxOf(c), ctxOf(c).realm, c.req.header("if-none-match")),
);

revocationFeedRoutes.all(REVOCATION_FEED_PATH, () => {
  throw problems.methodNotAllowed("GET, HEAD");
});
