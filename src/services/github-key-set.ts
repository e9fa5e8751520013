/**
 * GitHub's secret-scanning signing keys, cached per isolate. The key set (`{public_keys: [{key_identifier,
 * key}]}`, PEM SPKI P-256) is fetched from the configured URL with a timeout and a size cap, kept for an
 * hour, and fetched again when a report names a key id the cache does not hold (GitHub rotates keys), at
 * most once per cooldown so forged ids cannot make every request a fetch.
 */
import { importEcdsaPem } from "../crypto/der-signature";

/** How long a fetched key set is trusted. */
export const KEY_SET_TTL_MS = 60 * 60_000;
/** Least time between two fetches caused by unknown key ids. */
export const KEY_SET_REFETCH_COOLDOWN_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_KEY_SET_BYTES = 64 * 1024;

interface CachedKeySet {
  url: string;
  keys: Map<string, CryptoKey>;
  fetchedAt: number;
}

let cached: CachedKeySet | undefined;

async function fetchKeySet(url: string, nowMs: number): Promise<CachedKeySet> {
  const res = await fetch(url, {
    headers: { accept: "application/json", "user-agent": "Latchkey-SecretScanning/1" },
    redirect: "manual",
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`key set answered ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_KEY_SET_BYTES) throw new Error("key set too large");
  const body = JSON.parse(text) as { public_keys?: { key_identifier?: unknown; key?: unknown }[] };
  const keys = new Map<string, CryptoKey>();
  for (const entry of body.public_keys ?? []) {
    if (typeof entry.key_identifier !== "string" || typeof entry.key !== "string") continue;
    const key = await importEcdsaPem(entry.key);
    if (key) keys.set(entry.key_identifier, key);
  }
  return { url, keys, fetchedAt: nowMs };
}

/**
 * The key named `keyId` from the key set at `url`, or null when the set (fetched again if needed) has no
 * such key. Throws when the key set cannot be fetched and nothing usable is cached.
 */
export async function secretScanningKey(url: string, keyId: string, nowMs: number): Promise<CryptoKey | null> {
  const current = cached?.url === url ? cached : undefined;
  const fresh = current && nowMs - current.fetchedAt < KEY_SET_TTL_MS;
  const known = current?.keys.get(keyId);
  if (known && fresh) return known;
  const mayRefetch = !current || !fresh || nowMs - current.fetchedAt >= KEY_SET_REFETCH_COOLDOWN_MS;
  if (!mayRefetch) return null;
  cached = await fetchKeySet(url, nowMs);
  return cached.keys.get(keyId) ?? null;
}

/** Drops the cached key set (tests). */
export function forgetKeySet(): void {
  cached = undefined;
}
