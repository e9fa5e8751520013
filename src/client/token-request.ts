/**
 * One token request (client_credentials, RFC 6749 section 4.4, or a token exchange, RFC 8693) to a token
 * endpoint and the parsing of its answer (section 5.1 success, section 5.2 error). Stateless: caching and single-flight live in token-source.ts.
 */
import {
  JWT_BEARER_ASSERTION_TYPE,
  basicAuthorization,
  createClientAssertion,
  type AssertionKey,
} from "./client-auth.js";
import type { FetchLike } from "./discovery.js";
import { LatchkeyError, parseRetryAfter } from "./errors.js";
import { requireSecureUrl } from "./secure-url.js";

/** An access token as handed to callers. */
export interface AccessToken {
  /** The bearer token to send in `Authorization: Bearer ...`. */
  accessToken: string;
  /** Expiry, milliseconds since the epoch (from `expires_in`). */
  expiresAt: number;
  /** The granted scopes, space-separated (empty string when none). */
  scope: string;
  /** Always `Bearer` for Latchkey. */
  tokenType: string;
}

/** A subject token, or a function producing a fresh one for each request (its jti is single use). */
export type SubjectTokenSource = string | (() => string | Promise<string>);

/**
 * How the client proves who it is: a secret, a private key, or (RFC 8693 token exchange, no secret) a JWT
 * from an issuer one of the credential's federated identities trusts.
 */
export type ClientCredential =
  | { method: "client_secret_basic"; clientId: string; clientSecret: string }
  | { method: "private_key_jwt"; clientId: string; key: AssertionKey }
  | { method: "token_exchange"; clientId: string; subjectToken: SubjectTokenSource; subjectTokenType?: string };

/** RFC 8693 section 2.1: the grant type of a token exchange. */
export const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** RFC 8693 section 3: a JWT subject token (the default subject_token_type). */
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

/** Parameters of one token request. */
export interface TokenRequest {
  tokenEndpoint: string;
  /** The issuer identifier: the `aud` of private_key_jwt assertions (RFC 10070). Required for that method. */
  issuer?: string;
  credential: ClientCredential;
  scope?: string;
  resource?: string;
  fetch?: FetchLike;
  /** Milliseconds since the epoch. */
  now?: number;
}

/**
 * Performs one token request.
 * @throws LatchkeyError with the OAuth `error` code, `network_error` or `invalid_response`; TypeError, before
 *   any request, when the token endpoint is not https (plain http only for loopback).
 */
export async function requestToken(req: TokenRequest): Promise<AccessToken> {
  requireSecureUrl(req.tokenEndpoint, "tokenEndpoint");
  const now = req.now ?? Date.now();
  const cred = req.credential;
  const exchange = cred.method === "token_exchange";
  const form = new URLSearchParams({ grant_type: exchange ? TOKEN_EXCHANGE_GRANT_TYPE : "client_credentials" });
  if (req.scope) form.set("scope", req.scope);
  if (req.resource) form.set("resource", req.resource);
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  if (cred.method === "token_exchange") {
    const subjectToken = typeof cred.subjectToken === "string" ? cred.subjectToken : await cred.subjectToken();
    form.set("client_id", cred.clientId);
    form.set("subject_token", subjectToken);
    form.set("subject_token_type", cred.subjectTokenType ?? JWT_TOKEN_TYPE);
  } else if (cred.method === "client_secret_basic") {
    headers.authorization = basicAuthorization(cred.clientId, cred.clientSecret);
  } else {
    if (!req.issuer) throw new TypeError("private_key_jwt needs the issuer: it is the assertion audience (RFC 10070)");
    const assertion = await createClientAssertion({
      clientId: cred.clientId,
      issuer: req.issuer,
      key: cred.key,
      now: Math.floor(now / 1000),
    });
    form.set("client_id", cred.clientId);
    form.set("client_assertion_type", JWT_BEARER_ASSERTION_TYPE);
    form.set("client_assertion", assertion);
  }
  let response: Response;
  try {
    response = await (req.fetch ?? fetch)(req.tokenEndpoint, { method: "POST", headers, body: form.toString() });
  } catch (cause) {
    throw new LatchkeyError("network_error", `Could not reach the token endpoint ${req.tokenEndpoint}`, { cause });
  }
  return parseTokenResponse(response, now, req.scope);
}

async function parseTokenResponse(response: Response, now: number, requestedScope?: string): Promise<AccessToken> {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = await response.json();
    if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"), now);
    if (body && typeof body.error === "string") {
      const description = typeof body.error_description === "string" ? body.error_description : undefined;
      const suffix = description ? `: ${description}` : "";
      throw new LatchkeyError(body.error, `Token request refused: ${body.error} (HTTP ${response.status})${suffix}`, {
        status: response.status,
        ...(description === undefined ? {} : { description }),
        ...(retryAfter === undefined ? {} : { retryAfter }),
      });
    }
    const code = response.status === 429 ? "rate_limited" : "invalid_response";
    throw new LatchkeyError(code, `Token endpoint answered HTTP ${response.status}`, {
      status: response.status,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  if (!body || typeof body.access_token !== "string" || typeof body.token_type !== "string") {
    throw new LatchkeyError("invalid_response", "Token endpoint answered without access_token/token_type", {
      status: response.status,
    });
  }
  if (body.token_type.toLowerCase() !== "bearer") {
    throw new LatchkeyError("invalid_response", `Unsupported token_type ${body.token_type}`, {
      status: response.status,
    });
  }
  const expiresIn = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 300;
  return {
    accessToken: body.access_token,
    expiresAt: now + expiresIn * 1000,
    scope: typeof body.scope === "string" ? body.scope : (requestedScope ?? ""),
    tokenType: "Bearer",
  };
}
