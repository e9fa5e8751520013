/**
 * Approximate, eventually consistent mint counts for quotas, without a synchronous write or round trip on the
 * mint. An isolate's estimate for a window is: what D1 held for it at the last refresh, minus this isolate's own
 * mints already in that read, plus all of this isolate's own mints (usage-recorder.ts keeps them, and its
 * background flush writes them to credential_mint_hours). The D1 total is re-read in the background at most
 * every QUOTA_REFRESH_MS, so other isolates' mints show up here after their flush (up to 20 s) plus up to one
 * refresh interval: the overshoot is bounded by what other isolates mint in that time (docs/guardrails.md).
 */
import type { RequestContext } from "../context";
import { windowStarts } from "../domain/guardrails";
import { mintsSince } from "../storage/guardrails";
import { QUOTA_REFRESH_MS, QUOTA_STATE_MAX_ENTRIES } from "../tunables";
import { ownMints } from "./usage-recorder";

/** What a refresh uses: a D1 read (a replica is enough), the logger and background work. */
export type QuotaDeps = Pick<RequestContext, "replica" | "log" | "background">;

interface Snapshot {
  hour: number;
  day: number;
  /** Other isolates' mints this hour and this day, as of the read. */
  othersHour: number;
  othersDay: number;
}

interface QuotaState {
  snapshot?: Snapshot;
  refreshedAt: number;
  refreshing: boolean;
}

const states = new Map<string, QuotaState>();
let refreshMs = QUOTA_REFRESH_MS;

/** Sets the refresh interval (tests); without an argument restores the default. */
export function setQuotaRefreshInterval(ms: number = QUOTA_REFRESH_MS): void {
  refreshMs = ms;
}

/** Forgets every snapshot (tests that simulate a fresh isolate). */
export function forgetQuotaSnapshots(): void {
  states.clear();
}

async function refresh(deps: QuotaDeps, credentialId: string, state: QuotaState, nowMs: number): Promise<void> {
  const { hour, day } = windowStarts(nowMs);
  try {
    const rows = await mintsSince(deps.replica(), credentialId, day);
    const inD1 = (since: number) => rows.filter((r) => r.hourStart >= since).reduce((n, r) => n + r.count, 0);
    const ownHour = ownMints(credentialId, hour).flushed;
    const ownDay = ownMints(credentialId, day).flushed;
    state.snapshot = {
      hour,
      day,
      othersHour: Math.max(0, inD1(hour) - ownHour),
      othersDay: Math.max(0, inD1(day) - ownDay),
    };
    state.refreshedAt = nowMs;
  } catch (err) {
    deps.log.error("quota_refresh_failed", { credential: credentialId, error: String(err) });
  } finally {
    state.refreshing = false;
  }
}

/**
 * The estimated mints of a credential so far in the current UTC hour and day, from this isolate's memory only.
 * When the snapshot of other isolates' mints is older than the refresh interval, a re-read is started in
 * the background; this call never waits for it.
 */
export function estimatedMints(deps: QuotaDeps, credentialId: string, nowMs: number): { hour: number; day: number } {
  let state = states.get(credentialId);
  if (!state) {
    if (states.size >= QUOTA_STATE_MAX_ENTRIES) states.delete(states.keys().next().value as string);
    state = { refreshedAt: Number.NEGATIVE_INFINITY, refreshing: false };
    states.set(credentialId, state);
  }
  if (!state.refreshing && nowMs - state.refreshedAt >= refreshMs) {
    state.refreshing = true;
    deps.background(refresh(deps, credentialId, state, nowMs));
  }
  const { hour, day } = windowStarts(nowMs);
  const snapshot = state.snapshot;
  const others = {
    hour: snapshot && snapshot.hour === hour ? snapshot.othersHour : 0,
    day: snapshot && snapshot.day === day ? snapshot.othersDay : 0,
  };
  return {
    hour: others.hour + ownMints(credentialId, hour).all,
    day: others.day + ownMints(credentialId, day).all,
  };
}
