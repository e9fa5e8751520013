/**
 * Coalesced usage accounting for the token endpoint, which writes nothing synchronously. Each isolate keeps
 * per-credential counts and last-used times (per credential and per secret or public key) and writes them in
 * the background: a mint more than one window after the credential's last write flushes at once; a mint inside
 * the window schedules one trailing flush, through waitUntil, for when the window ends. So pending usage
 * reaches D1 within one window (20 s) of the mint whatever happens next, and each credential costs at most one
 * write per window per isolate. The window stays under waitUntil's ~30 s grace after the response.
 * Trade-off: an isolate evicted before its trailing flush runs loses that window's pending usage.
 */
import type { RequestContext } from "../context";
import type { Db } from "../storage/db";
import { recordKeyUsage } from "../storage/client-keys";
import { recordCredentialUsage } from "../storage/credentials";
import { recordSecretUsage } from "../storage/credential-secrets";
import { recordFederatedUsage } from "../storage/federated-identities";
import { USAGE_FLUSH_WINDOW_MS as DEFAULT_FLUSH_WINDOW_MS } from "../tunables";

/** What usage recording needs: the D1 primary, the clock (for trailing flushes) and the logger. */
export type UsageDeps = Pick<RequestContext, "db" | "clock" | "log">;

let flushWindowMs = DEFAULT_FLUSH_WINDOW_MS;

interface Pending {
  count: number;
  lastUsedAt: number;
  /** Last use per authenticator id: a secret, a public key or a federated identity (with the subject token's sub). */
  authenticators: Map<string, Authenticator & { at: number }>;
  flushedAt: number;
  trailing: boolean;
}

/** What authenticated a mint; `subject` only for a federated identity. */
interface Authenticator {
  id: string;
  kind: "secret" | "key" | "federated";
  subject?: string;
}

const pending = new Map<string, Pending>();

function usageWrite(db: Db, { id, kind, subject, at }: Authenticator & { at: number }) {
  if (kind === "federated") return recordFederatedUsage(db, id, at, subject ?? "");
  return kind === "key" ? recordKeyUsage(db, id, at) : recordSecretUsage(db, id, at);
}

/** Sets the coalescing window (tests); without an argument restores the default. */
export function setUsageFlushWindow(ms: number = DEFAULT_FLUSH_WINDOW_MS): void {
  flushWindowMs = ms;
}

function flush(deps: UsageDeps, credentialId: string, entry: Pending, nowMs: number): Promise<void> {
  const { count, lastUsedAt, authenticators } = entry;
  Object.assign(entry, { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: nowMs });
  const { db } = deps;
  const writes = [
    recordCredentialUsage(db, credentialId, lastUsedAt, count),
    ...[...authenticators.values()].map((a) => usageWrite(db, a)),
  ] as const;
  return db.batch(writes as unknown as Parameters<Db["batch"]>[0]).then(
    () => undefined,
    (err: unknown) => deps.log.error("usage_flush_failed", { credential: credentialId, error: String(err) }),
  );
}

function flushAtWindowEnd(deps: UsageDeps, credentialId: string, entry: Pending, nowMs: number): Promise<void> {
  entry.trailing = true;
  const delay = Math.min(flushWindowMs, Math.max(0, entry.flushedAt + flushWindowMs - nowMs));
  return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => {
    entry.trailing = false;
    return entry.count > 0 ? flush(deps, credentialId, entry, deps.clock()) : undefined;
  });
}

/**
 * Notes one mint by `authenticator` (a secret, a key or a federated identity). Returns a write to hand to
 * waitUntil (at once, or at the end of the window), or null when one is already scheduled for this credential.
 */
export function noteMint(
  deps: UsageDeps,
  credentialId: string,
  authenticator: Authenticator,
  nowMs: number,
): Promise<void> | null {
  let entry = pending.get(credentialId);
  if (!entry) {
    entry = { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: 0, trailing: false };
    pending.set(credentialId, entry);
  }
  entry.count += 1;
  entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
  entry.authenticators.set(authenticator.id, { ...authenticator, at: nowMs });
  if (nowMs - entry.flushedAt >= flushWindowMs) return flush(deps, credentialId, entry, nowMs);
  return entry.trailing ? null : flushAtWindowEnd(deps, credentialId, entry, nowMs);
}
