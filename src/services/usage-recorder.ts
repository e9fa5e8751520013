/**
 * Coalesced usage accounting for the token endpoint, which writes nothing synchronously. Each isolate keeps
 * per-credential counts and last-used times and flushes them in the background at most once per credential
 * per minute, with the last-used time of each secret and public key (the first mint after a quiet minute flushes at once, so sporadic jobs show fresh times).
 * Trade-off: counts pending in an isolate that is evicted before its next flush are lost (at most a minute's).
 */
import type { Db } from "../storage/db";
import { recordKeyUsage } from "../storage/client-keys";
import { recordCredentialUsage, recordSecretUsage } from "../storage/credentials";

const FLUSH_INTERVAL_MS = 60_000;

interface Pending {
  count: number;
  lastUsedAt: number;
  secrets: Map<string, number>;
  flushedAt: number;
}

const pending = new Map<string, Pending>();

/**
 * Notes one mint. Returns a flush to hand to waitUntil when this credential is due, else null.
 * `authenticatorId` is the secret (or key) that authenticated.
 */
export function noteMint(db: Db, credentialId: string, authenticatorId: string | null, nowMs: number): Promise<void> | null {
  let entry = pending.get(credentialId);
  if (!entry) {
    entry = { count: 0, lastUsedAt: 0, secrets: new Map(), flushedAt: 0 };
    pending.set(credentialId, entry);
  }
  entry.count += 1;
  entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
  if (authenticatorId) entry.secrets.set(authenticatorId, nowMs);
  if (nowMs - entry.flushedAt < FLUSH_INTERVAL_MS) return null;
  const { count, lastUsedAt, secrets } = entry;
  pending.set(credentialId, { count: 0, lastUsedAt: 0, secrets: new Map(), flushedAt: nowMs });
  const writes = [
    recordCredentialUsage(db, credentialId, lastUsedAt, count),
    // Key rows' ids start with "key_" (client-keys.ts); everything else that authenticates is a secret.
    ...[...secrets].map(([id, at]) => (id.startsWith("key_") ? recordKeyUsage(db, id, at) : recordSecretUsage(db, id, at))),
  ] as const;
  return db.batch(writes as unknown as Parameters<Db["batch"]>[0]).then(
    () => undefined,
    (err: unknown) => console.error(JSON.stringify({ event: "usage_flush_failed", credential: credentialId, error: String(err) })),
  );
}
