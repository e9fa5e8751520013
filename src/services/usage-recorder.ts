/**
 * Coalesced usage accounting for the token endpoint, which writes nothing synchronously. Each isolate keeps
 * per-credential counts and last-used times and flushes them in the background at most once per credential
 * per minute, with the last-used time of each secret and public key (the first mint after a quiet minute flushes at once, so sporadic jobs show fresh times).
 * Trade-off: counts pending in an isolate that is evicted before its next flush are lost (at most a minute's).
 */
import { primaryDb, type Db } from "../storage/db";
import { recordKeyUsage } from "../storage/client-keys";
import { recordCredentialUsage, recordSecretUsage } from "../storage/credentials";

const FLUSH_INTERVAL_MS = 60_000;

interface Pending {
  count: number;
  lastUsedAt: number;
  /** Last use per authenticator id, with whether it is a secret or a public key. */
  authenticators: Map<string, { kind: "secret" | "key"; at: number }>;
  flushedAt: number;
}

const pending = new Map<string, Pending>();

/**
 * Notes one mint by the secret or key `authenticatorId`. Returns a flush to hand to waitUntil when this
 * credential is due, else null (the database handle is only built then).
 */
export function noteMint(
  d1: D1Database,
  credentialId: string,
  authenticator: { id: string; kind: "secret" | "key" },
  nowMs: number,
): Promise<void> | null {
  let entry = pending.get(credentialId);
  if (!entry) {
    entry = { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: 0 };
    pending.set(credentialId, entry);
  }
  entry.count += 1;
  entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
  entry.authenticators.set(authenticator.id, { kind: authenticator.kind, at: nowMs });
  if (nowMs - entry.flushedAt < FLUSH_INTERVAL_MS) return null;
  const { count, lastUsedAt, authenticators } = entry;
  pending.set(credentialId, { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: nowMs });
  const db = primaryDb(d1);
  const writes = [
    recordCredentialUsage(db, credentialId, lastUsedAt, count),
    ...[...authenticators].map(([id, { kind, at }]) => (kind === "key" ? recordKeyUsage(db, id, at) : recordSecretUsage(db, id, at))),
  ] as const;
  return db.batch(writes as unknown as Parameters<Db["batch"]>[0]).then(
    () => undefined,
    (err: unknown) => console.error(JSON.stringify({ event: "usage_flush_failed", credential: credentialId, error: String(err) })),
  );
}
