/**
 * POST /oauth/token: the HTTP adapter of the token pipeline (oauth/token-endpoint.ts). It takes the request
 * context (middleware/request-context.ts) and hands the raw request over; errors are rendered by the app's one error handler.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { ctxOf } from "../middleware/request-context";
import { tokenEndpoint } from "../oauth/token-endpoint";

export const tokenRoutes = new Hono<AppEnv>();

tokenRoutes.post("/oauth/token", (c) => tokenEndpoint(ctxOf(c), c.req.raw));

// RFC 6749 section 3.2: the token endpoint takes POST only.
tokenRoutes.all("/oauth/token", () => {
  throw new OAuthError("invalid_request", D.postOnly, { status: 405, allow: "POST" });
});
