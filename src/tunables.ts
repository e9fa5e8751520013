/**
 * The knobs of the token path, in one place: rate-limit windows, isolate cache lifetimes and bounds, the
 * usage window and the replica lag allowance. A value that mirrors wrangler.toml (a limiter's `period`) is
 * tied to it by test/unit/tunables.node.test.ts; the orderings the code relies on are checked there too.
 * Leaf module: it imports nothing, so any layer may read it.
 */

/** TOKEN_SOURCE_LIMITER's period: Retry-After (s) once a source's failed token requests are over the limit. */
export const TOKEN_SOURCE_WINDOW_SECONDS = 10;
/** AUTH_FAILURE_LIMITER's period: Retry-After (s) for a (client_id, source) over its failures, and for bootstrap. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
/** TOKEN_CLIENT_LIMITER's period: Retry-After (s) once a credential's verified mints are over the limit. */
export const TOKEN_CLIENT_WINDOW_SECONDS = 10;
/** REDEEM_IP_LIMITER's period: Retry-After (s) once an IP's setup-code redemptions are over the limit. */
export const REDEEM_WINDOW_SECONDS = 60;
/** Keys remembered as over their failure limit per isolate; past it the memo is cleared (the binding decides again). */
export const FAILURE_MEMO_MAX_KEYS = 50_000;

/** Largest OAuth form body read (bytes); larger is invalid_request before parsing. */
export const MAX_FORM_BYTES = 8 * 1024;

/** Lifetime of a cached credential (with its secret hashes and keys) in an isolate: one D1 read per client per TTL. */
export const CREDENTIAL_CACHE_TTL_MS = 30_000;
/** Credentials cached per isolate; the oldest is evicted first. */
export const CREDENTIAL_CACHE_MAX_ENTRIES = 10_000;
/**
 * A credential whose KV revocation entry changed this recently is read from the D1 primary, not a replica:
 * the replica may not have the change yet (a new secret or key, a narrowed grant).
 */
export const REPLICA_LAG_ALLOWANCE_MS = 5 * 60_000;

/** How long an isolate reuses a KV revocation read. */
export const REVOCATION_MEMO_MS = 10_000;
/** The edge cache lifetime asked of KV for revocation reads (s; KV's minimum is 30). */
export const REVOCATION_KV_CACHE_TTL_SECONDS = 30;
/** How long a revocation written in this isolate is preferred to KV; longer than REPLICA_LAG_ALLOWANCE_MS. */
export const REVOCATION_PIN_MS = 600_000;
/** Revocation entries memoised per isolate; the oldest is evicted first. */
export const REVOCATION_MEMO_MAX_ENTRIES = 10_000;

/** Longest an isolate keeps its signing-key ring (the next key activation ends it sooner). */
export const KEY_RING_CACHE_MS = 5 * 60_000;

/** Usage coalescing window: at most one usage write per credential per window per isolate; under waitUntil's ~30 s. */
export const USAGE_FLUSH_WINDOW_MS = 20_000;

/** Secrets whose hash renewal (pepper rotation) an isolate remembers as done or under way; past it, cleared. */
export const PEPPER_RENEWALS_MAX_TRACKED = 10_000;

/** RFC 7523 section 3 leaves the lifetime to the server: client assertions may live at most five minutes. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Clock skew tolerated on a client assertion's exp, iat and nbf (and added to how long its jti is kept). */
export const ASSERTION_CLOCK_SKEW_SECONDS = 30;

/** How long an isolate trusts a federated issuer's fetched JWKS before fetching it again. */
export const ISSUER_KEYS_TTL_MS = 10 * 60_000;
/** After a fetch (or a failed one), an unknown kid or a failure waits this long before the issuer is asked again. */
export const ISSUER_KEYS_COOLDOWN_MS = 30_000;
/** Federated issuers whose keys an isolate keeps; the oldest is evicted first. */
export const ISSUER_KEYS_MAX_ENTRIES = 100;
/** Timeout of each request to a federated issuer (discovery, JWKS). */
export const ISSUER_FETCH_TIMEOUT_MS = 3_000;
/** Largest discovery document or JWKS read from a federated issuer (bytes). */
export const ISSUER_RESPONSE_MAX_BYTES = 64 * 1024;
/** Federated-identity rule sets (per credential) an isolate caches; lifetime as for credentials. */
export const FEDERATED_RULES_MAX_ENTRIES = 10_000;
/** INTROSPECTION_LIMITER's period: Retry-After (s) once a credential's introspection calls are over the limit. */
export const INTROSPECTION_WINDOW_SECONDS = 10;
/** How long an isolate reuses a tenant's signed revocation feed; a revocation in the same isolate drops it. */
export const FEED_MEMO_MS = 5_000;
/** `Cache-Control: max-age` of the revocation feed (s). */
export const FEED_MAX_AGE_SECONDS = 15;
/** Lifetime of a signed feed (its `exp` - `iat`, s): a verifier refuses a feed older than this outright. */
export const FEED_JWT_LIFETIME_SECONDS = 300;
/** DEVICE_LIMITER's period: Retry-After (s) once a source has started too many device sign-ins or code lookups. */
export const DEVICE_START_WINDOW_SECONDS = 60;
/** Guardrail alerts an isolate remembers as raised this window (services/guardrail-alerts.ts); past it, cleared. */
export const GUARDRAIL_ALERT_MEMO_MAX_KEYS = 10_000;
/** How often an isolate re-reads a quota's total from D1 (in the background); the staleness it adds is measured in docs/guardrails.md. */
export const QUOTA_REFRESH_MS = 10_000;
/** Credentials with a quota whose counts an isolate keeps; past it, the oldest is dropped. */
export const QUOTA_STATE_MAX_ENTRIES = 10_000;
/** Distinct addresses one credential records per usage flush window; more in one window are not recorded then. */
export const SOURCES_PER_FLUSH_MAX = 16;
/** RFC 9449 section 11.1: how old (s) a DPoP proof's iat may be; its jti is remembered for as long. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;
/** How far (s) ahead of the server's clock a DPoP proof's iat may be (client clock skew). */
export const DPOP_PROOF_FUTURE_SKEW_SECONDS = 10;
/** A server DPoP nonce's window (ms): a nonce is accepted in the window it was made in and the next. */
export const DPOP_NONCE_WINDOW_MS = 60_000;
