/**
 * The one place errors become responses. OAuth endpoints answer RFC 6749 JSON errors; everything else
 * answers RFC 9457 problem+json. Unexpected errors are logged in full and answered with fixed text.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { OAUTH_DESCRIPTIONS, OAuthError, ProblemError } from "../domain/errors";
import { DPOP_ALGS } from "../crypto/dpop-proof";
import { log } from "../log";
import { isStorageOutage } from "../storage/errors";

export const NO_STORE_HEADERS = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** RFC 6749 section 5.2 error response. */
export function oauthErrorResponse(err: OAuthError): Response {
  const headers = new Headers({ "Content-Type": "application/json", ...NO_STORE_HEADERS });
  if (err.status === 401 && err.basicChallenge)
    headers.set("WWW-Authenticate", 'Basic realm="latchkey", charset="UTF-8"');
  if (err.retryAfterSeconds !== undefined) headers.set("Retry-After", String(err.retryAfterSeconds));
  if (err.allow !== undefined) headers.set("Allow", err.allow);
  if (err.dpopNonce !== undefined) headers.set("DPoP-Nonce", err.dpopNonce);
  return new Response(JSON.stringify({ error: err.code, error_description: err.description }), {
    status: err.status,
    headers,
  });
}

/** RFC 9449 section 7.1: a refusal about DPoP names the DPoP scheme; every other 401 the Bearer one. */
function challengeOf(err: ProblemError): string {
  if (err.code === "invalid_dpop_proof") return `DPoP algs="${DPOP_ALGS.join(" ")}", error="invalid_dpop_proof"`;
  if (err.code === "dpop_bound_token") return `DPoP algs="${DPOP_ALGS.join(" ")}", error="invalid_token"`;
  return 'Bearer realm="latchkey"';
}

/** RFC 9457 problem details response. */
export function problemResponse(err: ProblemError): Response {
  const body = {
    type: `https://latchkey.dev/problems/${err.code}`,
    title: err.title,
    status: err.status,
    ...(err.detail ? { detail: err.detail } : {}),
    code: err.code,
    ...err.extra,
  };
  const headers = new Headers({ "Content-Type": "application/problem+json", "Cache-Control": "no-store" });
  if (err.status === 401) headers.set("WWW-Authenticate", challengeOf(err));
  if (err.options.retryAfterSeconds !== undefined) headers.set("Retry-After", String(err.options.retryAfterSeconds));
  if (err.options.allow !== undefined) headers.set("Allow", err.options.allow);
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

function isOAuthPath(path: string): boolean {
  return path.startsWith("/oauth/");
}

/** hono onError: typed errors to the wire, everything else to the log and a fixed 500. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof OAuthError) {
    if (err.reason) log.info("oauth_error", { error: err.code, reason: err.reason, path: c.req.path });
    return oauthErrorResponse(err);
  }
  if (err instanceof ProblemError) return problemResponse(err);
  if (err instanceof HTTPException && err.status < 500) {
    // hono's own request errors (e.g. malformed JSON): fixed messages chosen by hono, not client input.
    return problemResponse(new ProblemError("invalid_request", err.message, { status: err.status }));
  }
  if (!isOAuthPath(c.req.path) && isStorageOutage(err)) {
    log.error("storage_unavailable", { path: c.req.path, error: String(err) });
    return problemResponse(
      new ProblemError("temporarily_unavailable", "The database is unavailable. Retry later.", {
        retryAfterSeconds: 5,
      }),
    );
  }
  log.error("unhandled_error", { path: c.req.path, error: String(err), stack: err.stack });
  if (isOAuthPath(c.req.path))
    return oauthErrorResponse(new OAuthError("server_error", OAUTH_DESCRIPTIONS.serverError));
  return problemResponse(new ProblemError("server_error", "The server could not handle the request."));
}
