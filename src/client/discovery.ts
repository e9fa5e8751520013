/**
 * RFC 8414 authorization server metadata, fetched from the issuer's well-known location (section 3.1: the
 * well-known path is inserted between the origin and the issuer's path, so a tenant issuer
 * `https://host/t/acme` is discovered at `https://host/.well-known/oauth-authorization-server/t/acme`).
 * `strict` checks that the document's `issuer` is the one asked for (RFC 8414 section 3.3); the CLI's
 * setup turns it off because a user may type another spelling of the same server (localhost vs 127.0.0.1).
 */
import { LatchkeyError } from "./errors.js";
import { insecureUrlProblem, requireSecureUrl } from "./secure-url.js";

/** The subset of RFC 8414 metadata the SDK uses. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri?: string;
  grant_types_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  [key: string]: unknown;
}

/** A `fetch` implementation (the global one by default). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Removes trailing slashes so `https://a/` and `https://a` name the same issuer. */
export function normalizeIssuer(issuer: string): string {
  return issuer.replace(/\/+$/, "");
}

/** The RFC 8414 section 3.1 well-known URL for an issuer: `{origin}/.well-known/oauth-authorization-server{path}`. */
export function metadataUrl(issuer: string): string {
  const url = new URL(normalizeIssuer(issuer));
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/**
 * Fetches and checks authorization server metadata.
 * @throws LatchkeyError `network_error` when the server is unreachable, `invalid_response` when the
 *   answer is not Latchkey-style metadata (not 200, not JSON, no token_endpoint, or another issuer), or names a
 *   token_endpoint or jwks_uri that is not https; TypeError, before any request, when `issuer` is not https
 *   (plain http is allowed only for loopback addresses).
 */
export async function discover(
  issuer: string,
  options: { fetch?: FetchLike; strict?: boolean } = {},
): Promise<AuthorizationServerMetadata> {
  requireSecureUrl(issuer, "issuer");
  const fetchImpl = options.fetch ?? fetch;
  const url = metadataUrl(issuer);
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: "application/json" } });
  } catch (cause) {
    throw new LatchkeyError("network_error", `Could not reach ${url}`, { cause });
  }
  if (!response.ok) {
    throw new LatchkeyError(
      "invalid_response",
      `No authorization server metadata at ${url} (HTTP ${response.status})`,
      {
        status: response.status,
      },
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new LatchkeyError("invalid_response", `Metadata at ${url} is not JSON`, { status: response.status, cause });
  }
  const meta = body as Partial<AuthorizationServerMetadata> | null;
  if (!meta || typeof meta !== "object" || typeof meta.issuer !== "string" || typeof meta.token_endpoint !== "string") {
    throw new LatchkeyError("invalid_response", `Metadata at ${url} has no issuer or token_endpoint`, {
      status: response.status,
    });
  }
  if (options.strict !== false && normalizeIssuer(meta.issuer) !== normalizeIssuer(issuer)) {
    throw new LatchkeyError("invalid_response", `Metadata at ${url} names another issuer (${meta.issuer})`, {
      status: response.status,
    });
  }
  for (const field of ["token_endpoint", "jwks_uri"] as const) {
    const value = meta[field];
    if (value !== undefined && (typeof value !== "string" || insecureUrlProblem(value))) {
      throw new LatchkeyError("invalid_response", `Metadata at ${url} has a ${field} that is not an https URL`, {
        status: response.status,
      });
    }
  }
  return meta as AuthorizationServerMetadata;
}
