/**
 * Latchkey SDK: token sources for automations (client_credentials with a secret or a private key, or an
 * RFC 8693 token exchange of the workload's own OIDC token),
 * a verifier and hono middleware for resource servers. Depends on fetch and jose only, so it runs on
 * Node >= 20, Cloudflare Workers, Deno and Bun.
 */
export {
  createTokenSource,
  refreshDeadline,
  isTransient,
  backoffUntil,
  DEFAULT_REJECTION_BACKOFF_MS,
} from "./token-source.js";
export type { TokenSource, TokenSourceOptions, AccessToken } from "./token-source.js";
export { createVerifier, parseScope } from "./verifier.js";
export type { Verifier, VerifierOptions, VerifyOptions, LatchkeyClaims } from "./verifier.js";
export { createRevocationFeed, REVOCATION_FEED_TYP } from "./revocation-feed.js";
export type {
  RevocationFeed,
  RevocationFeedOptions,
  FeedRefresh,
  FeedScheduler,
  FeedSource,
} from "./revocation-feed.js";
export { latchkeyAuth, bearerToken } from "./hono.js";
export {
  createDpopProof,
  generateDpopKey,
  importDpopKey,
  exportDpopKey,
  accessTokenHash,
  htuOf,
  requestedNonce,
} from "./dpop.js";
export type { DpopKey, DpopAlgorithm, ProofRequest } from "./dpop.js";
export { createDpopChecker, createMemoryReplayCache, BOUND_AS_BEARER } from "./dpop-verify.js";
export type { DpopReplayCache, DpopVerifierOptions, DpopPresentation, DpopChecker } from "./dpop-verify.js";
export { dpopPresentation, dpopChallenge } from "./dpop-challenge.js";
export type { LatchkeyAuthOptions, LatchkeyVariables } from "./hono.js";
export { discover, metadataUrl, normalizeIssuer } from "./discovery.js";
export type { AuthorizationServerMetadata, FetchLike } from "./discovery.js";
export {
  basicAuthorization,
  createClientAssertion,
  formEncode,
  toAssertionKey,
  algorithmForJwk,
  JWT_BEARER_ASSERTION_TYPE,
  CLIENT_ASSERTION_TYP,
} from "./client-auth.js";
export type { AssertionAlgorithm, AssertionKey } from "./client-auth.js";
export { requestToken, TOKEN_EXCHANGE_GRANT_TYPE, JWT_TOKEN_TYPE } from "./token-request.js";
export type { ClientCredential, SubjectTokenSource, TokenRequest } from "./token-request.js";
export { githubActionsIdToken } from "./federated-tokens.js";
export type { GithubActionsTokenOptions } from "./federated-tokens.js";
export { LatchkeyError, TokenVerificationError, parseRetryAfter } from "./errors.js";
export type { TokenVerificationCode, LatchkeyTransportCode } from "./errors.js";
