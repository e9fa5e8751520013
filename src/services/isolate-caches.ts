/**
 * Every piece of state an isolate keeps between requests, and what makes it stale, in one place. Each cache
 * lives beside the code whose invariant it serves (the module named below); the token path reaches them
 * through this module. Lifetimes and bounds are in src/tunables.ts. The header is longer than usual because
 * it is the one list of isolate caches and their invalidation rules:
 *
 * - Credentials (services/credential-cache): CREDENTIAL_CACHE_TTL_MS (30 s), at most 10,000, oldest evicted.
 *   Dropped by forgetCredential after an admin change or a pepper renewal in this isolate; in other isolates
 *   made stale by the KV revocation entry, whose updatedAt later than the fetch sends the read to D1.
 * - Revocation memo (storage/revocation-list): REVOCATION_MEMO_MS (10 s), at most 10,000, oldest evicted.
 *   A write or pin in this isolate replaces it and is preferred to KV for REVOCATION_PIN_MS (10 min) while KV
 *   lags or fails; a failed KV read is dropped at once.
 * - Signing-key ring (services/signing-key-ring): one snapshot until validUntil, the earlier of
 *   KEY_RING_CACHE_MS (5 min) and the next key activation. Dropped by forgetKeyRing after a rotation in this
 *   isolate, and when its load fails.
 * - Pending usage (services/usage-recorder): one entry per credential minted here, all flushed together to D1 within
 *   USAGE_FLUSH_WINDOW_MS (20 s). Nothing invalidates it; an isolate evicted before its flush loses a window.
 * - Pepper renewals (services/pepper-rotation): secrets renewed or being renewed, at most 10,000, then cleared.
 *   A failed renewal removes its secret, so the next mint retries.
 * - Failure limits (oauth/failure-limits): keys over their limit until the limiter's window ends, at most
 *   50,000, then cleared (the binding decides again).
 * - Configuration (config.ts): parsed once while the env values stay the same.
 * - Federated issuer keys (services/issuer-keys): per issuer ISSUER_KEYS_TTL_MS (10 min), at most 100, oldest
 *   evicted; an unknown kid refetches, never within ISSUER_KEYS_COOLDOWN_MS (30 s) of the last attempt.
 * - Federated identities (services/federated-rule-cache): per credential, as the credential cache (30 s, made
 *   stale by the KV entry's updatedAt, dropped by forgetFederatedRules with the credential).
 * - Guardrails, for credentials with a policy only (docs/guardrails.md): quota snapshots (services/quota-counter)
 *   of other isolates' mints, re-read in the background every QUOTA_REFRESH_MS (10 s), at most 10,000, oldest
 *   evicted; the alert memo (services/guardrail-alerts), the window each alert key last fired in, at most 10,000,
 *   then cleared (the D1 dedupe still holds). The pending usage entry also keeps its own mints per hour of the
 *   current day and the addresses seen since its last flush (at most 16).
 */
export { forgetCredential, freshCredential, hasCachedCredential, rememberCredential } from "./credential-cache";
export { renewSecretHashLater } from "./pepper-rotation";
export { forgetKeyRing, keyRing } from "./signing-key-ring";
export { noteMint, setUsageFlushWindow } from "./usage-recorder";
export { forgetFederatedRules, freshFederatedRules, rememberFederatedRules } from "./federated-rule-cache";
export { forgetIssuerKeys, issuerKeySet } from "./issuer-keys";
