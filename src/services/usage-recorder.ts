/**
 * Coalesced usage accounting for the token endpoint, which writes nothing synchronously. Each isolate keeps
 * per-credential counts and last-used times (per credential and per secret, public key or federated identity) and
 * writes them in the background, all pending credentials together (storage/usage.ts: at most six statements).
 * A credential's first mint in the isolate, or a mint more than one window after the isolate's last flush,
 * flushes at once; any other mint makes sure one trailing flush is scheduled, through waitUntil, for when the
 * window that began with the last flush ends. So pending usage reaches D1 within one window (20 s) of the
 * mint whatever happens next, and an isolate costs D1 about one flush per window (plus one per credential it
 * sees for the first time) however many credentials it serves, instead of one per credential per window.
 * The window stays under waitUntil's ~30 s grace after the response.
 * Trade-off: an isolate evicted before its trailing flush runs loses that window's pending usage.
 * The same batch carries the guardrails' usage (docs/guardrails.md): mints per UTC hour and the sources seen,
 * and this isolate's own mints per hour stay readable (pending, in flight, flushed) for quota estimates.
 */
import type { RequestContext } from "../context";
import { HOUR_MS, windowStarts } from "../domain/guardrails";
import { requestSource } from "../domain/request-source";
import {
  type AuthenticatorUsage,
  type CredentialUsage,
  type FederatedUsage,
  type HourMints,
  recordCredentialUsages,
  recordFederatedUsages,
  recordHourMints,
  recordKeyUsages,
  recordSecretUsages,
  recordSources,
  type SourceUsage,
} from "../storage/usage";
import { SOURCES_PER_FLUSH_MAX, USAGE_FLUSH_WINDOW_MS as DEFAULT_FLUSH_WINDOW_MS } from "../tunables";

/** What usage recording needs: the D1 primary, the clock (for trailing flushes) and the logger. */
export type UsageDeps = Pick<RequestContext, "db" | "clock" | "log">;

let flushWindowMs = DEFAULT_FLUSH_WINDOW_MS;

/** What authenticated a mint; `subject` only for a federated identity. */
interface Authenticator {
  id: string;
  kind: "secret" | "key" | "federated";
  subject?: string;
}

/**
 * One mint, as the token pipeline reports it: the credential and its tenant, what authenticated it (a secret,
 * a key or a federated identity, with the subject token's sub), and the client address (CF-Connecting-IP)
 * when there is one. One flat object per mint, so noting it allocates nothing else on the common path.
 */
export interface MintUsage {
  credentialId: string;
  tenantId: string;
  address: string | undefined;
  authenticatorId: string;
  authenticatorKind: Authenticator["kind"];
  subject: string | undefined;
}

interface HourCounts {
  pending: number;
  inFlight: number;
  flushed: number;
}

interface Pending {
  count: number;
  lastUsedAt: number;
  /** Last use per authenticator id: a secret, a public key or a federated identity (with the subject token's sub). */
  authenticators: Map<string, Authenticator & { at: number }>;
  /** When this credential's usage was last taken for a write; 0 while never in this isolate. */
  flushedAt: number;
  tenantId?: string;
  /** This isolate's mints per UTC hour start (the current day's hours only). */
  hours: Map<number, HourCounts>;
  /** Addresses seen since the last flush (grouped into sources only in the flush, off the mint's path). */
  addresses: Map<string, { at: number; count: number }>;
}

const pending = new Map<string, Pending>();
/** The trailing flush scheduled for the current window, if any (a token: only it may clear itself). */
let trailing: object | null = null;
let lastFlushAt = 0;

/**
 * Sets the coalescing window (tests); without an argument restores the default. A trailing flush already
 * scheduled under the old window no longer counts: the next mint inside the new window schedules its own, so
 * the new window holds at once (the old timer still flushes whatever is pending when it fires).
 */
export function setUsageFlushWindow(ms: number = DEFAULT_FLUSH_WINDOW_MS): void {
  flushWindowMs = ms;
  trailing = null;
}

/** A flush's guardrail rows: the hour counts it moves to in flight, and the sources seen since the last one. */
interface GuardrailRows {
  hours: HourMints[];
  sources: SourceUsage[];
  moved: [HourCounts, number][];
}

function takeGuardrailRows(rows: GuardrailRows, credentialId: string, entry: Pending, nowMs: number): void {
  const { tenantId } = entry;
  if (tenantId === undefined) return;
  const dayStart = windowStarts(nowMs).day;
  for (const [hour, counts] of entry.hours) {
    if (hour + HOUR_MS <= dayStart && counts.pending === 0 && counts.inFlight === 0) entry.hours.delete(hour);
    if (counts.pending === 0) continue;
    rows.hours.push({ credentialId, tenantId, hourStart: hour, count: counts.pending });
    rows.moved.push([counts, counts.pending]);
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
  for (const [source, seen] of sources) rows.sources.push({ credentialId, tenantId, source, ...seen });
  entry.addresses = new Map();
}

/** Takes every credential's pending usage, marking each flushed at `nowMs`. */
function takePending(nowMs: number) {
  const creds: CredentialUsage[] = [];
  const secrets: AuthenticatorUsage[] = [];
  const keys: AuthenticatorUsage[] = [];
  const federated: FederatedUsage[] = [];
  const guardrails: GuardrailRows = { hours: [], sources: [], moved: [] };
  for (const [id, entry] of pending) {
    if (entry.count === 0) continue;
    creds.push({ id, at: entry.lastUsedAt, count: entry.count });
    for (const [authId, { kind, at, subject }] of entry.authenticators) {
      if (kind === "federated") federated.push({ id: authId, at, subject: subject ?? "" });
      else (kind === "key" ? keys : secrets).push({ id: authId, at });
    }
    takeGuardrailRows(guardrails, id, entry, nowMs);
    Object.assign(entry, { count: 0, lastUsedAt: 0, authenticators: new Map(), flushedAt: nowMs });
  }
  return { creds, secrets, keys, federated, guardrails };
}

function flush(deps: UsageDeps, nowMs: number): Promise<void> {
  lastFlushAt = nowMs;
  const { creds, secrets, keys, federated, guardrails } = takePending(nowMs);
  if (creds.length === 0) return Promise.resolve();
  const { db } = deps;
  const writes = [
    recordCredentialUsages(db, creds),
    ...(secrets.length > 0 ? [recordSecretUsages(db, secrets)] : []),
    ...(keys.length > 0 ? [recordKeyUsages(db, keys)] : []),
    ...(federated.length > 0 ? [recordFederatedUsages(db, federated)] : []),
    ...(guardrails.hours.length > 0 ? [recordHourMints(db, guardrails.hours)] : []),
    ...(guardrails.sources.length > 0 ? [recordSources(db, guardrails.sources)] : []),
  ];
  const settle = (committed: boolean) => {
    for (const [counts, n] of guardrails.moved) {
      counts.inFlight -= n;
      if (committed) counts.flushed += n;
    }
  };
  return db.$client.batch(writes).then(
    () => settle(true),
    (err: unknown) => {
      settle(false);
      deps.log.error("usage_flush_failed", { credential: creds.map((c) => c.id).join(","), error: String(err) });
    },
  );
}

function flushAtWindowEnd(deps: UsageDeps, dueAt: number, nowMs: number): Promise<void> {
  const mine = {};
  trailing = mine;
  const delay = Math.min(flushWindowMs, Math.max(0, dueAt - nowMs));
  return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => {
    if (trailing === mine) trailing = null;
    return flush(deps, deps.clock());
  });
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

/** The current UTC hour's start and end, kept until the clock passes the end (one division per hour, not per mint). */
let hourStart = 0;
let hourEnd = 0;

function currentHour(nowMs: number): number {
  if (nowMs >= hourEnd || nowMs < hourStart) {
    hourStart = windowStarts(nowMs).hour;
    hourEnd = hourStart + HOUR_MS;
  }
  return hourStart;
}

function noteOrigin(entry: Pending, mint: MintUsage, nowMs: number): void {
  entry.tenantId = mint.tenantId;
  const hour = currentHour(nowMs);
  let counts = entry.hours.get(hour);
  if (!counts) {
    counts = { pending: 0, inFlight: 0, flushed: 0 };
    entry.hours.set(hour, counts);
  }
  counts.pending += 1;
  const address = mint.address ?? "";
  const seen = entry.addresses.get(address);
  if (seen) {
    seen.at = nowMs;
    seen.count += 1;
  } else if (entry.addresses.size < SOURCES_PER_FLUSH_MAX) entry.addresses.set(address, { at: nowMs, count: 1 });
}

function noteAuthenticator(entry: Pending, mint: MintUsage, nowMs: number): void {
  const known = entry.authenticators.get(mint.authenticatorId);
  if (known) {
    known.at = nowMs;
    known.subject = mint.subject;
    return;
  }
  entry.authenticators.set(mint.authenticatorId, {
    id: mint.authenticatorId,
    kind: mint.authenticatorKind,
    subject: mint.subject,
    at: nowMs,
  });
}

/**
 * Notes one mint (its credential, tenant, authenticator and source). Returns a write to hand to waitUntil (at
 * once, or at the end of the window), or null when one is already scheduled.
 */
export function noteMint(deps: UsageDeps, mint: MintUsage, nowMs: number): Promise<void> | null {
  let entry = pending.get(mint.credentialId);
  if (!entry) {
    entry = {
      count: 0,
      lastUsedAt: 0,
      authenticators: new Map(),
      flushedAt: 0,
      hours: new Map(),
      addresses: new Map(),
    };
    pending.set(mint.credentialId, entry);
  }
  noteOrigin(entry, mint, nowMs);
  entry.count += 1;
  entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
  noteAuthenticator(entry, mint, nowMs);
  if (entry.flushedAt === 0 || nowMs - lastFlushAt >= flushWindowMs) return flush(deps, nowMs);
  return trailing ? null : flushAtWindowEnd(deps, lastFlushAt + flushWindowMs, nowMs);
}
