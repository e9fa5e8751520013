/**
 * POST /oauth/introspect (RFC 7662) and POST /oauth/revoke (RFC 7009): HTTP adapters of their pipelines in
 * oauth/. Both take POST only; errors are rendered by the app's one error handler as OAuth errors.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { ctxOf } from "../middleware/request-context";
import { introspectionEndpoint } from "../oauth/introspection-endpoint";
import { revocationEndpoint } from "../oauth/revocation-endpoint";

export const introspectionRoutes = new Hono<AppEnv>();

introspectionRoutes.post("/oauth/introspect", (c) => introspectionEndpoint(ctxOf(c), c.req.raw));
introspectionRoutes.post("/oauth/revoke", (c) => revocationEndpoint(ctxOf(c), c.req.raw));

for (const path of ["/oauth/introspect", "/oauth/revoke"]) {
  introspectionRoutes.all(path, () => {
    throw new OAuthError("invalid_request", D.endpointPostOnly, { status: 405, allow: "POST" });
  });
}
