/**
 * Typed errors of the Latchkey SDK. `LatchkeyError` carries the OAuth `error` code of a failed token
 * request (RFC 6749 section 5.2) or a transport code; `TokenVerificationError` carries an RFC 6750
 * section 3.1 code. Messages never contain a secret: only codes and the server's fixed descriptions.
 */

/**
 * Transport and protocol codes the SDK adds to the OAuth `error` values; `revocation_unavailable` is a
 * verifier's refusal while its revocation feed is stale and it fails closed.
 */
export type LatchkeyTransportCode = "network_error" | "invalid_response" | "revocation_unavailable";

/** Raised by token sources and discovery when the authorization server refuses or cannot be used. */
export class LatchkeyError extends Error {
  override readonly name = "LatchkeyError";
  /** The OAuth `error` value (e.g. `invalid_client`), `network_error` or `invalid_response`. */
  readonly code: string;
  /** HTTP status of the answer, or 0 when no answer arrived. */
  readonly status: number;
  /** The server's `error_description`, when it sent one. */
  readonly description: string | undefined;
  /** Seconds from a `Retry-After` header (429/503), when present. */
  readonly retryAfter: number | undefined;

  constructor(
    code: string,
    message: string,
    init: { status?: number; description?: string; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status ?? 0;
    this.description = init.description;
    this.retryAfter = init.retryAfter;
  }
}

/** RFC 6750 section 3.1 error codes a resource server answers with, and RFC 9449 section 7.1's for DPoP. */
export type TokenVerificationCode = "invalid_token" | "insufficient_scope" | "invalid_dpop_proof" | "use_dpop_nonce";

/** Raised by `verify()` when a presented access token must be refused. */
export class TokenVerificationError extends Error {
  override readonly name = "TokenVerificationError";
  /** `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce` (401) or `insufficient_scope` (403). */
  readonly code: TokenVerificationCode;
  /** HTTP status a resource server should answer with. */
  readonly status: 401 | 403;
  /** For `insufficient_scope`: the scopes the request needed. */
  readonly requiredScopes: readonly string[];

  constructor(
    code: TokenVerificationCode,
    message: string,
    init: { requiredScopes?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = code === "insufficient_scope" ? 403 : 401;
    this.requiredScopes = init.requiredScopes ?? [];
  }
}

/** Parses a `Retry-After` header given in seconds; HTTP dates are converted with `now` (ms). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
