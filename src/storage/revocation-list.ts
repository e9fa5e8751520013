/**
 * The KV revocation list: one entry per credential that has been revoked or has had a secret retired,
 * checked on every mint at the edge. D1 stays the source of truth; KV cannot compare-and-set, so each
 * write stores the whole entry as read from the D1 primary, and the last writer converges on the truth.
 */

export interface RevocationEntry {
  revoked: boolean;
  /** Ids of retired secrets and keys of this credential. */
  retired: string[];
  updatedAt: number;
}

const keyFor = (clientId: string) => `revocation:${clientId}`;

/** The entry for a client, or null when it has none. KV caches reads at the edge for `cacheTtl` seconds. */
export function readRevocation(kv: KVNamespace, clientId: string): Promise<RevocationEntry | null> {
  return kv.get<RevocationEntry>(keyFor(clientId), { type: "json", cacheTtl: 30 });
}

export function writeRevocation(kv: KVNamespace, clientId: string, entry: RevocationEntry): Promise<void> {
  return kv.put(keyFor(clientId), JSON.stringify(entry));
}
