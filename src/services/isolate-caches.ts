/**
 * Every piece of state an isolate keeps between requests, and what makes it stale, in one place. Each cache
 * lives beside the code whose invariant it serves (the module named below); the token path and the admin
 * services reach them through this module. Lifetimes and bounds are in src/tunables.ts. The header is longer
 * than usual because this table is the documentation of every isolate cache and its invalidation:
 *
 * | cache (module)                                | lifetime                         | bound                      | invalidated by |
 * |-----------------------------------------------|----------------------------------|----------------------------|----------------|
 * | credentials (services/credential-cache)       | CREDENTIAL_CACHE_TTL_MS (30 s)   | 10,000; oldest evicted     | forgetCredential after an admin change in this isolate or a pepper renewal; elsewhere a KV revocation entry whose updatedAt is later than the fetch |
 * | revocation memo (storage/revocation-list)     | REVOCATION_MEMO_MS (10 s)        | 10,000; oldest evicted     | a write or pin in this isolate replaces it (pinned REVOCATION_PIN_MS, 10 min, while KV lags or fails); a failed KV read drops it |
 * | signing-key ring (services/signing-key-ring)  | KEY_RING_CACHE_MS (5 min), or the next key activation, whichever is first (validUntil) | one snapshot | forgetKeyRing after a rotation in this isolate; a failed load drops it |
 * | pending usage (services/usage-recorder)       | flushed within USAGE_FLUSH_WINDOW_MS (20 s) | one entry per credential minted in this isolate | nothing: a flush empties it; an evicted isolate loses its window |
 * | pepper renewals (services/pepper-rotation)    | the isolate's life               | 10,000; cleared when full  | a failed renewal removes its secret, so the next mint retries |
 * | failure limits (oauth/failure-limits)         | the limiter's window             | 50,000; cleared when full  | its window ending |
 * | configuration (config.ts)                     | while the env values are the same | one                       | any var or secret changing |
 */
export { forgetCredential, freshCredential, hasCachedCredential, rememberCredential } from "./credential-cache";
export { renewSecretHashLater } from "./pepper-rotation";
export { forgetKeyRing, keyRing } from "./signing-key-ring";
export { noteMint, setUsageFlushWindow } from "./usage-recorder";
