/**
 * The KV revocation list: one entry per credential that has been revoked or has had a secret or key retired,
 * checked on every mint at the edge. D1 stays the source of truth; KV cannot compare-and-set, so each
 * write stores the whole entry as read from the D1 primary, and the last writer converges on the truth.
 * Reads are memoised in the isolate for 10 s (KV itself caches them at the edge for 30 s). A write made in
 * this isolate replaces the memo before KV is touched, and stays pinned (preferred to KV) until KV accepted
 * it or for 10 minutes, so the location that served an admin change never lags, even while KV fails.
 */
import {
  REVOCATION_KV_CACHE_TTL_SECONDS as KV_CACHE_TTL,
  REVOCATION_MEMO_MAX_ENTRIES as MEMO_MAX_ENTRIES,
  REVOCATION_MEMO_MS as MEMO_MS,
  REVOCATION_PIN_MS as PIN_MS,
} from "../tunables";

export interface RevocationEntry {
  revoked: boolean;
  /** Ids of retired secrets and keys of this credential. */
  retired: string[];
  updatedAt: number;
}

const keyFor = (clientId: string) => `revocation:${clientId}`;
const memo = new Map<string, { entry: Promise<RevocationEntry | null>; readAt: number; pinnedUntil: number }>();

function remember(clientId: string, entry: Promise<RevocationEntry | null>, nowMs: number, pinnedUntil = 0): void {
  memo.delete(clientId);
  if (memo.size >= MEMO_MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
  memo.set(clientId, { entry, readAt: nowMs, pinnedUntil });
}

/** The entry for a client, or null when it has none. */
export function readRevocation(kv: KVNamespace, clientId: string, nowMs = Date.now()): Promise<RevocationEntry | null> {
  const hit = memo.get(clientId);
  if (hit && hit.readAt <= nowMs && (nowMs - hit.readAt < MEMO_MS || nowMs < hit.pinnedUntil)) return hit.entry;
  const entry = kv.get<RevocationEntry>(keyFor(clientId), { type: "json", cacheTtl: KV_CACHE_TTL });
  remember(clientId, entry, nowMs);
  entry.catch(() => memo.delete(clientId));
  return entry;
}

/**
 * Writes a client's entry: this isolate uses it at once (pinned while KV has not accepted it), then KV.
 * Throws when the KV write fails; the pinned memo still holds.
 */
export async function writeRevocation(
  kv: KVNamespace,
  clientId: string,
  entry: RevocationEntry,
  nowMs = Date.now(),
): Promise<void> {
  remember(clientId, Promise.resolve(entry), nowMs, nowMs + PIN_MS);
  await kv.put(keyFor(clientId), JSON.stringify(entry));
  if (memo.get(clientId)?.pinnedUntil === nowMs + PIN_MS) remember(clientId, Promise.resolve(entry), nowMs);
}

/**
 * Makes this isolate add `entry` to what it knows of a client for the next 10 minutes, without touching KV
 * (the change could not be read back from D1): merged with the memo, so nothing already refused is forgotten.
 */
export function pinRevocation(clientId: string, entry: RevocationEntry, nowMs = Date.now()): void {
  const known = memo.get(clientId)?.entry ?? Promise.resolve(null);
  const merged = known
    .catch(() => null)
    .then((prev) => ({
      revoked: entry.revoked || (prev?.revoked ?? false),
      retired: [...new Set([...(prev?.retired ?? []), ...entry.retired])],
      updatedAt: Math.max(entry.updatedAt, prev?.updatedAt ?? 0),
    }));
  remember(clientId, merged, nowMs, nowMs + PIN_MS);
}
