/**
 * Coalesced usage accounting for the token endpoint, which writes nothing synchronously. Each isolate keeps
 * per-credential counts and last-used times (per credential and per secret or public key) and writes them in
 * the background: a mint more than one window after the credential's last write flushes at once; a mint inside
 * the window schedules one trailing flush, through waitUntil, for when the window ends. So pending usage
 * reaches D1 within one window (20 s) of the mint whatever happens next, and each credential costs at most one
 * write per window per isolate. The window stays under waitUntil's ~30 s grace after the response.
 * Trade-off: an isolate evicted before its trailing flush runs loses that window's pending usage.
 * The same batch carries the guardrails' usage (docs/guardrails.md): mints per UTC hour and the sources seen,
 * and this isolate's own mints per hour stay readable (pending, in flight, flushed) for quota estimates.
 */
import type { RequestContext } from "../context";
import type { Db } from "../storage/db";
import { recordKeyUsage } from "../storage/client-keys";
import { recordCredentialUsage } from "../storage/credentials";
import { recordSecretUsage } from "../storage/credential-secrets";
import { addHourMints, upsertSource } from "../storage/guardrails";
import { HOUR_MS, windowStarts } from "../domain/guardrails";
import { requestSource } from "../domain/request-source";
import { SOURCES_PER_FLUSH_MAX, USAGE_FLUSH_WINDOW_MS as DEFAULT_FLUSH_WINDOW_MS } from "../tunables";

/** What usage recording needs: the D1 primary, the clock (for trailing flushes) and the logger. */
export type UsageDeps = Pick<RequestContext, "db" | "clock" | "log">;

let flushWindowMs = DEFAULT_FLUSH_WINDOW_MS;

interface Pending {
  count: number;
  lastUsedAt: number;
  /** Last use per authenticator id, with whether it is a secret or a public key. */
  authenticators: Map<string, { kind: "secret" | "key"; at: number }>;
  flushedAt: number;
  trailing: boolean;
  tenantId?: string;
  /** This isolate's mints per UTC hour start (the current day's hours only). */
  hours: Map<number, HourCounts>;
  /** Addresses seen since the last flush (grouped into sources only in the flush, off the mint's path). */
  addresses: Map<string, { at: number; count: number }>;
}

/** Where one mint came from: its tenant and the client address (CF-Connecting-IP), when there is one. */
export interface MintOrigin {
  tenantId: string;
  address: string | undefined;
}

interface HourCounts {
  pending: number;
  inFlight: number;
  flushed: number;
}

const pending = new Map<string, Pending>();

/** Sets the coalescing window (tests); without an argument restores the default. */
export function setUsageFlushWindow(ms: number = DEFAULT_FLUSH_WINDOW_MS): void {
  flushWindowMs = ms;
}

/** The guardrail statements of a flush: hour counts moved to in flight, and the sources seen. */
function guardrailWrites(db: Db, credentialId: string, entry: Pending, nowMs: number) {
  const { tenantId } = entry;
  if (tenantId === undefined) return { writes: [], settle: () => undefined };
  const dayStart = windowStarts(nowMs).day;
  const moved: [HourCounts, number][] = [];
  const writes = [];
  for (const [hour, counts] of entry.hours) {
    if (hour + HOUR_MS <= dayStart && counts.pending === 0 && counts.inFlight === 0) entry.hours.delete(hour);
    if (counts.pending === 0) continue;
    writes.push(addHourMints(db, credentialId, tenantId, hour, counts.pending));
    moved.push([counts, counts.pending]);
    counts.inFlight += counts.pending;
    counts.pending = 0;
  }
  const sources = new Map<string, { address: string; at: number; count: number }>();
  for (const [address, seen] of entry.addresses) {
    const source = requestSource(address || undefined);
    const known = sources.get(source);
    if (!known || known.at <= seen.at)
      sources.set(source, { address: address || "unknown", at: seen.at, count: seen.count + (known?.count ?? 0) });
    else known.count += seen.count;
  }
  for (const [source, seen] of sources) writes.push(upsertSource(db, { credentialId, tenantId, source, ...seen }));
  entry.addresses = new Map();
  const settle = (committed: boolean) => {
    for (const [counts, n] of moved) {
      counts.inFlight -= n;
      if (committed) counts.flushed += n;
    }
  };
  return { writes, settle };
}

function flush(deps: UsageDeps, credentialId: string, entry: Pending, nowMs: number): Promise<void> {
  const { count, lastUsedAt, authenticators } = entry;
  const { db } = deps;
  const guardrails = guardrailWrites(db, credentialId, entry, nowMs);
  Object.assign(entry, { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: nowMs });
  const writes = [
    recordCredentialUsage(db, credentialId, lastUsedAt, count),
    ...[...authenticators].map(([id, { kind, at }]) =>
      kind === "key" ? recordKeyUsage(db, id, at) : recordSecretUsage(db, id, at),
    ),
    ...guardrails.writes,
  ] as const;
  return db.batch(writes as unknown as Parameters<Db["batch"]>[0]).then(
    () => guardrails.settle(true),
    (err: unknown) => {
      guardrails.settle(false);
      deps.log.error("usage_flush_failed", { credential: credentialId, error: String(err) });
    },
  );
}

/**
 * This isolate's mints of a credential since `sinceHour` (an hour start): all of them, and those a flush has
 * committed to D1. The quota estimate subtracts the second from what D1 holds, so its own mints count once.
 */
export function ownMints(credentialId: string, sinceHour: number): { all: number; flushed: number } {
  let all = 0;
  let flushed = 0;
  for (const [hour, counts] of pending.get(credentialId)?.hours ?? []) {
    if (hour < sinceHour) continue;
    all += counts.pending + counts.inFlight + counts.flushed;
    flushed += counts.flushed;
  }
  return { all, flushed };
}

function noteOrigin(entry: Pending, origin: MintOrigin, nowMs: number): void {
  entry.tenantId = origin.tenantId;
  const hour = windowStarts(nowMs).hour;
  let counts = entry.hours.get(hour);
  if (!counts) {
    counts = { pending: 0, inFlight: 0, flushed: 0 };
    entry.hours.set(hour, counts);
  }
  counts.pending += 1;
  const address = origin.address ?? "";
  const seen = entry.addresses.get(address);
  if (seen) {
    seen.at = nowMs;
    seen.count += 1;
  } else if (entry.addresses.size < SOURCES_PER_FLUSH_MAX) entry.addresses.set(address, { at: nowMs, count: 1 });
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
 * Notes one mint by the secret or key `authenticatorId`, from `origin` when known. Returns a write to hand to
 * waitUntil (at once, or at the end of the window), or null when one is already scheduled for this credential.
 */
export function noteMint(
  deps: UsageDeps,
  credentialId: string,
  authenticator: { id: string; kind: "secret" | "key" },
  nowMs: number,
  origin?: MintOrigin,
): Promise<void> | null {
  let entry = pending.get(credentialId);
  if (!entry) {
    entry = {
      count: 0,
      lastUsedAt: 0,
      authenticators: new Map(),
      flushedAt: 0,
      trailing: false,
      hours: new Map(),
      addresses: new Map(),
    };
    pending.set(credentialId, entry);
  }
  if (origin) noteOrigin(entry, origin, nowMs);
  entry.count += 1;
  entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
  entry.authenticators.set(authenticator.id, { kind: authenticator.kind, at: nowMs });
  if (nowMs - entry.flushedAt >= flushWindowMs) return flush(deps, credentialId, entry, nowMs);
  return entry.trailing ? null : flushAtWindowEnd(deps, credentialId, entry, nowMs);
}
