/**
 * The device grant's HTTP adapters (RFC 8628): POST /oauth/device_authorization and POST /oauth/logout hand
 * the raw request to oauth/device-endpoints.ts; other methods are 405. Errors are the OAuth wire's.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { ctxOf } from "../middleware/request-context";
import { deviceAuthorizationEndpoint, logoutEndpoint } from "../oauth/device-endpoints";

export const deviceRoutes = new Hono<AppEnv>();

deviceRoutes.post("/oauth/device_authorization", (c) => deviceAuthorizationEndpoint(ctxOf(c), c.req.raw));
deviceRoutes.post("/oauth/logout", (c) => logoutEndpoint(ctxOf(c), c.req.raw));

for (const path of ["/oauth/device_authorization", "/oauth/logout"]) {
  deviceRoutes.all(path, () => {
    throw new OAuthError("invalid_request", D.endpointPostOnly, { status: 405, allow: "POST" });
  });
}
