/**
 * The OAuth wire error (RFC 6749 section 5.2) and its catalog of fixed descriptions. A description is text
 * chosen here, never echoed input; the private reason for a failure goes to the log, never to the client.
 */

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target"
  | "slow_down"
  | "authorization_pending"
  | "access_denied"
  | "expired_token"
  | "temporarily_unavailable"
  | "server_error"
  | "quota_exceeded"
  | "invalid_dpop_proof"
  | "use_dpop_nonce";

const OAUTH_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  slow_down: 429,
  authorization_pending: 400,
  access_denied: 400,
  expired_token: 400,
  temporarily_unavailable: 503,
  server_error: 500,
  quota_exceeded: 429,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

export interface OAuthErrorOptions {
  /** Logged, never sent. */
  reason?: string;
  /** The client authenticated with HTTP Basic: a 401 then carries WWW-Authenticate (RFC 6749 section 5.2). */
  basicChallenge?: boolean;
  /** Sent as Retry-After with a 429. */
  retryAfterSeconds?: number;
  /** Overrides the status the code implies (405 for a wrong method). */
  status?: number;
  /** Sent as Allow with a 405. */
  allow?: string;
  /** RFC 9449 section 8: sent as DPoP-Nonce, the nonce the next proof must carry. */
  dpopNonce?: string;
}

/** An OAuth error response (RFC 6749 section 5.2). */
export class OAuthError extends Error {
  readonly status: number;
  readonly reason?: string;
  readonly basicChallenge: boolean;
  readonly retryAfterSeconds?: number;
  readonly allow?: string;
  readonly dpopNonce?: string;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: OAuthDescription,
    options: OAuthErrorOptions = {},
  ) {
    super(`${code}: ${description}`);
    this.status = options.status ?? OAUTH_STATUS[code];
    this.reason = options.reason;
    this.basicChallenge = options.basicChallenge ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.allow = options.allow;
    this.dpopNonce = options.dpopNonce;
  }
}

/** The one invalid_client every failed client authentication ends in; `reason` goes to the log only. */
export function invalidClient(reason: string, basicChallenge: boolean): OAuthError {
  return new OAuthError("invalid_client", OAUTH_DESCRIPTIONS.invalidClient, { reason, basicChallenge });
}

/** Fixed descriptions, one per failure, so nothing the client sent is echoed back. */
export const OAUTH_DESCRIPTIONS = {
  invalidClient: "Client authentication failed.",
  postOnly: "The token endpoint accepts POST only.",
  notForm: "The request body must be application/x-www-form-urlencoded.",
  bodyTooLarge: "The request body is too large.",
  duplicateParameter: "A request parameter was sent more than once.",
  credentialsInQuery: "Client credentials must not be sent in the query string.",
  twoAuthMethods: "The request used more than one client authentication method.",
  missingGrantType: "The grant_type parameter is required.",
  unsupportedGrantType: "The grant_type is not supported.",
  malformedScope: "The scope parameter is malformed.",
  scopeNotGranted: "The requested scope is not granted to this client.",
  invalidResource: "The resource parameter must be an absolute URI without a fragment.",
  resourceNotGranted: "The requested resource is not granted to this client.",
  resourceAndAudience: "The resource and audience parameters disagree.",
  rateLimited: "Too many requests. Retry later.",
  serverError: "The server could not handle the request.",
  invalidSubjectToken: "The subject token is invalid or not trusted for this client.",
  unsupportedRequestedTokenType: "The requested_token_type is not supported.",
  endpointPostOnly: "This endpoint accepts POST only.",
  missingToken: "The token parameter is required.",
  introspectionNotAllowed: "This client may not introspect tokens.",
  revocationUnavailable: "The token could not be revoked now. Retry later.",
  unknownPublicClient: "The client_id is not a public client of this server.",
  missingDeviceCode: "The device_code parameter is required.",
  invalidDeviceCode: "The device code is invalid.",
  authorizationPending: "The person has not approved the request yet.",
  pollTooFast: "Polling too fast: wait the interval, which is now longer.",
  deviceDenied: "The person denied the request.",
  deviceCodeExpired: "The device code has expired. Start again.",
  missingRefreshToken: "The refresh_token parameter is required.",
  invalidRefreshToken: "The refresh token is invalid, expired or revoked.",
  networkNotAllowed: "This client may not request tokens from this network.",
  quotaExceeded: "This client has used up its token quota. Retry after the window resets.",
  dpopProofInvalid: "The DPoP proof is invalid.",
  dpopProofRequired: "This client must send a DPoP proof.",
  dpopNonceRequired: "The DPoP proof must carry the nonce the server provided.",
} as const;

/** One of the fixed descriptions: an OAuthError can carry no other text. */
export type OAuthDescription = (typeof OAUTH_DESCRIPTIONS)[keyof typeof OAUTH_DESCRIPTIONS];
