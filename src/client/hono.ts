/**
 * Hono middleware guarding routes with Latchkey access tokens (RFC 6750 bearer usage, RFC 9449 DPoP).
 * Answers 401 (with `WWW-Authenticate: Bearer`, plus `error="invalid_token"` when a token was presented)
 * or 403 `insufficient_scope`, each with a JSON `{error, error_description}` body; 503 while the verifier's
 * revocation feed is stale and fails closed; a DPoP-scheme or DPoP-bound token's failures carry a `DPoP`
 * challenge instead (dpop-challenge.ts). Only types come from hono, so importing the SDK does not load hono at
 * run time.
 */
import type { Context, MiddlewareHandler } from "hono";
import { dpopChallenge, dpopPresentation, usesDpopChallenge } from "./dpop-challenge.js";
import { LatchkeyError, TokenVerificationError } from "./errors.js";
import { createVerifier, type LatchkeyClaims, type Verifier, type VerifierOptions } from "./verifier.js";

/** Context variables set by {@link latchkeyAuth}. */
export interface LatchkeyVariables {
  latchkey: LatchkeyClaims;
}

/** Options of {@link latchkeyAuth}: a ready verifier, or the options to create one. */
export type LatchkeyAuthOptions = ({ verifier: Verifier } | VerifierOptions) & {
  /** Scopes every request must hold. */
  scopes?: readonly string[];
  /** `realm` of the WWW-Authenticate challenge. */
  realm?: string;
};

/**
 * Creates middleware that reads `Authorization: Bearer <token>`, verifies it, and sets
 * `c.get('latchkey')` to the token's claims. Errors from the JWKS fetch (LatchkeyError) are rethrown
 * for the app's error handler.
 */
export function latchkeyAuth(options: LatchkeyAuthOptions): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  const verifier = "verifier" in options ? options.verifier : createVerifier(options);
  const requiredScopes = options.scopes ?? [];
  return async function latchkeyAuthMiddleware(c, next) {
    const dpop = dpopPresentation(c.req.header("authorization"), c.req.header("dpop"), c.req.method, c.req.url);
    const token = dpop ? dpop.token : bearerToken(c.req.header("authorization"));
    if (token === undefined) {
      // RFC 6750 section 3.1: no error code when the request carried no token.
      return deny(c, 401, challenge(options.realm), "invalid_token", "A bearer access token is required");
    }
    try {
      c.set("latchkey", await verifier.verify(token, { requiredScopes, ...(dpop ? { dpop: dpop.presentation } : {}) }));
    } catch (error) {
      if (error instanceof LatchkeyError && error.code === "revocation_unavailable") {
        // A stale revocation feed failing closed is the server's state, not the token's fault (RFC 9110 503).
        c.header("Retry-After", "5");
        c.header("Cache-Control", "no-store");
        return c.json({ error: "temporarily_unavailable", error_description: error.message }, 503);
      }
      if (!(error instanceof TokenVerificationError)) throw error;
      if (usesDpopChallenge(error, dpop !== undefined))
        return deny(c, 401, dpopChallenge(options.realm, error), error.code, error.message);
      const params = [`error="${error.code}"`, `error_description="${error.message}"`];
      if (error.code === "insufficient_scope") params.push(`scope="${error.requiredScopes.join(" ")}"`);
      return deny(c, error.status, challenge(options.realm, params), error.code, error.message);
    }
    await next();
    return undefined;
  };
}

/** Extracts the token of an `Authorization: Bearer` header (RFC 6750 section 2.1), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? "");
  return match?.[1];
}

function challenge(realm: string | undefined, params: string[] = []): string {
  const all = realm ? [`realm="${realm.replace(/["\\]/g, "")}"`, ...params] : params;
  return all.length ? `Bearer ${all.join(", ")}` : "Bearer";
}

function deny(c: Context, status: 401 | 403, wwwAuthenticate: string, error: string, description: string): Response {
  c.header("WWW-Authenticate", wwwAuthenticate);
  c.header("Cache-Control", "no-store");
  return c.json({ error, error_description: description }, status);
}
