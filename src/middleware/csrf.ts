/**
 * Cross-site request forgery checks for requests a browser authenticates on its own (the session cookie,
 * or Cloudflare Access's cookie turned into a header at the edge). A state-changing request must show it
 * came from the console itself: `Origin` equal to the issuer's origin, or `Sec-Fetch-Site: same-origin`.
 * Bearer callers are not checked: a browser never attaches their token by itself.
 */
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { ProblemError } from "../domain/errors";
import { ctxOf } from "./request-context";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const csrfRefused = () =>
  new ProblemError("csrf", "State-changing requests must come from the Latchkey console's own origin.");

function issuerOrigin(c: Context<AppEnv>): string {
  return new URL(ctxOf(c).config.issuer).origin;
}

/** Strict check for cookie-authenticated requests: throws 403 csrf unless the request is provably same-origin. */
export function assertSameOrigin(c: Context<AppEnv>): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (c.req.header("origin") === issuerOrigin(c)) return;
  if (c.req.header("sec-fetch-site") === "same-origin") return;
  throw csrfRefused();
}

/**
 * Check for the sign-in endpoints, which carry no cookie yet (login CSRF): a browser always sends Origin on a
 * cross-origin POST, so a foreign Origin or a cross-site fetch is refused; a client that sends neither
 * header (curl, scripts) is not a browser and is let through.
 */
export function assertNotCrossSite(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    if (origin !== issuerOrigin(c)) throw csrfRefused();
    return;
  }
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") throw csrfRefused();
}
