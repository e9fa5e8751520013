/**
 * The KV revocation list: one entry per credential that has been revoked or has had a secret or key retired,
 * checked on every mint at the edge. D1 stays the source of truth; KV cannot compare-and-set, so each
 * write stores the whole entry as read from the D1 primary, and the last writer converges on the truth.
 * Reads are memoised in the isolate for 10 s (KV itself caches them at the edge for 30 s); a write made in
 * this isolate replaces the memo at once, so the location that served an admin change never lags.
 */

export interface RevocationEntry {
  revoked: boolean;
  /** Ids of retired secrets and keys of this credential. */
  retired: string[];
  updatedAt: number;
}

const keyFor = (clientId: string) => `revocation:${clientId}`;
const MEMO_MS = 10_000;
const MEMO_MAX_ENTRIES = 10_000;
const memo = new Map<string, { entry: Promise<RevocationEntry | null>; readAt: number }>();

function remember(clientId: string, entry: Promise<RevocationEntry | null>, nowMs: number): void {
  memo.delete(clientId);
  if (memo.size >= MEMO_MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
  memo.set(clientId, { entry, readAt: nowMs });
}

/** The entry for a client, or null when it has none. */
export function readRevocation(kv: KVNamespace, clientId: string, nowMs = Date.now()): Promise<RevocationEntry | null> {
  const hit = memo.get(clientId);
  if (hit && nowMs - hit.readAt < MEMO_MS && hit.readAt <= nowMs) return hit.entry;
  const entry = kv.get<RevocationEntry>(keyFor(clientId), { type: "json", cacheTtl: 30 });
  remember(clientId, entry, nowMs);
  entry.catch(() => memo.delete(clientId));
  return entry;
}

export async function writeRevocation(kv: KVNamespace, clientId: string, entry: RevocationEntry): Promise<void> {
  await kv.put(keyFor(clientId), JSON.stringify(entry));
  remember(clientId, Promise.resolve(entry), Date.now());
}
