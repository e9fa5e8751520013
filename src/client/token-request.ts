/**
 * One token request (client_credentials, RFC 6749 section 4.4, or a token exchange, RFC 8693) to a token
 * endpoint and the parsing of its answer (section 5.1 success, section 5.2 error). With a DPoP key (RFC 9449)
 * it sends a proof, retries once with the server's nonce on `use_dpop_nonce`, and accepts token_type DPoP.
 * Stateless: caching and single-flight live in token-source.ts.
 */
import {
  JWT_BEARER_ASSERTION_TYPE,
  basicAuthorization,
  createClientAssertion,
  type AssertionKey,
} from "./client-auth.js";
import type { FetchLike } from "./discovery.js";
import { createDpopProof, requestedNonce, type DpopKey } from "./dpop.js";
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
  /** `Bearer`, or `DPoP` for a token bound to the request's DPoP key (send it as `Authorization: DPoP`). */
  tokenType: string;
  /** The server's latest `DPoP-Nonce`, when it sent one. */
  dpopNonce?: string;
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
  /** RFC 9449: bind the token to this key (a proof goes with the request); `nonce` is the server's latest. */
  dpop?: { key: DpopKey; nonce?: string };
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
    form.set("client_id", cred.clientId);
    form.set("client_assertion_type", JWT_BEARER_ASSERTION_TYPE);
    form.set("client_assertion", await assertionFor(cred, req, now));
  }
  const send = async (nonce: string | undefined): Promise<Response> => {
    const sent = { ...headers };
    if (req.dpop) {
      const proofRequest = { method: "POST", url: req.tokenEndpoint, now: Math.floor(now / 1000) };
      sent.dpop = await createDpopProof(req.dpop.key, nonce === undefined ? proofRequest : { ...proofRequest, nonce });
    }
    try {
      return await (req.fetch ?? fetch)(req.tokenEndpoint, { method: "POST", headers: sent, body: form.toString() });
    } catch (cause) {
      throw new LatchkeyError("network_error", `Could not reach the token endpoint ${req.tokenEndpoint}`, { cause });
    }
  };
  let response = await send(req.dpop?.nonce);
  const nonce = req.dpop ? await requestedNonce(response) : undefined;
  if (nonce !== undefined) {
    // A client assertion is single use too: the retry needs a fresh one.
    if (cred.method === "private_key_jwt") form.set("client_assertion", await assertionFor(cred, req, now));
    response = await send(nonce);
  }
  const token = await parseTokenResponse(response, now, req.scope, req.dpop !== undefined);
  const latestNonce = response.headers.get("dpop-nonce") ?? nonce;
  return latestNonce === undefined ? token : { ...token, dpopNonce: latestNonce };
}

function assertionFor(cred: { clientId: string; key: AssertionKey }, req: TokenRequest, now: number): Promise<string> {
  return createClientAssertion({
    clientId: cred.clientId,
    issuer: req.issuer as string,
    key: cred.key,
    now: Math.floor(now / 1000),
  });
}

async function parseTokenResponse(
  response: Response,
  now: number,
  requestedScope: string | undefined,
  dpop: boolean,
): Promise<AccessToken> {
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
  const tokenType = body.token_type.toLowerCase() === "dpop" && dpop ? "DPoP" : body.token_type.toLowerCase();
  if (tokenType !== "bearer" && tokenType !== "DPoP") {
    throw new LatchkeyError("invalid_response", `Unsupported token_type ${body.token_type}`, {
      status: response.status,
    });
  }
  const expiresIn = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 300;
  return {
    accessToken: body.access_token,
    expiresAt: now + expiresIn * 1000,
    scope: typeof body.scope === "string" ? body.scope : (requestedScope ?? ""),
    tokenType: tokenType === "DPoP" ? "DPoP" : "Bearer",
  };
}
