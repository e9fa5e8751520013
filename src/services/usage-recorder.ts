/**
 * Coalesced usage accounting for the token endpoint, which writes nothing synchronously. Each isolate keeps
 * per-credential counts and last-used times (per credential and per secret, public key or federated identity) and
 * writes them in the background, all pending credentials together (storage/usage.ts: at most four statements).
 * A credential's first mint in the isolate, or a mint more than one window after the isolate's last flush,
 * flushes at once; any other mint makes sure one trailing flush is scheduled, through waitUntil, for when the
 * window that began with the last flush ends. So pending usage reaches D1 within one window (20 s) of the
 * mint whatever happens next, and an isolate costs D1 about one flush per window (plus one per credential it
 * sees for the first time) however many credentials it serves, instead of one per credential per window.
 * The window stays under waitUntil's ~30 s grace after the response.
 * Trade-off: an isolate evicted before its trailing flush runs loses that window's pending usage.
 */
import type { RequestContext } from "../context";
import {
  type AuthenticatorUsage,
  type CredentialUsage,
  type FederatedUsage,
  recordCredentialUsages,
  recordFederatedUsages,
  recordKeyUsages,
  recordSecretUsages,
} from "../storage/usage";
import { USAGE_FLUSH_WINDOW_MS as DEFAULT_FLUSH_WINDOW_MS } from "../tunables";

/** What usage recording needs: the D1 primary, the clock (for trailing flushes) and the logger. */
export type UsageDeps = Pick<RequestContext, "db" | "clock" | "log">;

let flushWindowMs = DEFAULT_FLUSH_WINDOW_MS;

interface Pending {
  count: number;
  lastUsedAt: number;
  /** Last use per authenticator id: a secret, a public key or a federated identity (with the subject token's sub). */
  authenticators: Map<string, Authenticator & { at: number }>;
  /** When this credential's usage was last taken for a write; 0 while never in this isolate. */
  flushedAt: number;
}

/** What authenticated a mint; `subject` only for a federated identity. */
interface Authenticator {
  id: string;
  kind: "secret" | "key" | "federated";
  subject?: string;
}

const pending = new Map<string, Pending>();
let trailing = false;
let lastFlushAt = 0;

/** Sets the coalescing window (tests); without an argument restores the default. */
export function setUsageFlushWindow(ms: number = DEFAULT_FLUSH_WINDOW_MS): void {
  flushWindowMs = ms;
}

/** Takes every credential's pending usage, marking each flushed at `nowMs`. */
function takePending(nowMs: number) {
  const creds: CredentialUsage[] = [];
  const secrets: AuthenticatorUsage[] = [];
  const keys: AuthenticatorUsage[] = [];
  const federated: FederatedUsage[] = [];
  for (const [id, entry] of pending) {
    if (entry.count === 0) continue;
    creds.push({ id, at: entry.lastUsedAt, count: entry.count });
    for (const [authId, { kind, at, subject }] of entry.authenticators) {
      if (kind === "federated") federated.push({ id: authId, at, subject: subject ?? "" });
      else (kind === "key" ? keys : secrets).push({ id: authId, at });
    }
    Object.assign(entry, { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: nowMs });
  }
  return { creds, secrets, keys, federated };
}

function flush(deps: UsageDeps, nowMs: number): Promise<void> {
  lastFlushAt = nowMs;
  const { creds, secrets, keys, federated } = takePending(nowMs);
  if (creds.length === 0) return Promise.resolve();
  const { db } = deps;
  const writes = [
    recordCredentialUsages(db, creds),
    ...(secrets.length > 0 ? [recordSecretUsages(db, secrets)] : []),
    ...(keys.length > 0 ? [recordKeyUsages(db, keys)] : []),
    ...(federated.length > 0 ? [recordFederatedUsages(db, federated)] : []),
  ];
  return db.$client.batch(writes).then(
    () => undefined,
    (err: unknown) =>
      deps.log.error("usage_flush_failed", { credential: creds.map((c) => c.id).join(","), error: String(err) }),
  );
}

function flushAtWindowEnd(deps: UsageDeps, dueAt: number, nowMs: number): Promise<void> {
  trailing = true;
  const delay = Math.min(flushWindowMs, Math.max(0, dueAt - nowMs));
  return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => {
    trailing = false;
    return flush(deps, deps.clock());
  });
}

/**
 * Notes one mint by `authenticator` (a secret, a key or a federated identity). Returns a write to hand to
 * waitUntil (at once, or at the end of the window), or null when one is already scheduled.
 */
export function noteMint(
  deps: UsageDeps,
  credentialId: string,
  authenticator: Authenticator,
  nowMs: number,
): Promise<void> | null {
  let entry = pending.get(credentialId);
  if (!entry) {
    entry = { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: 0 };
    pending.set(credentialId, entry);
  }
  entry.count += 1;
  entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
  entry.authenticators.set(authenticator.id, { ...authenticator, at: nowMs });
  if (entry.flushedAt === 0 || nowMs - lastFlushAt >= flushWindowMs) return flush(deps, nowMs);
  return trailing ? null : flushAtWindowEnd(deps, lastFlushAt + flushWindowMs, nowMs);
}
