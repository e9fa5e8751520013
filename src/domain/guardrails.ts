/**
 * Per-credential guardrails as pure policy: a network allow-list (CIDR ranges) and mint quotas per hour and per
 * day, each in `enforce` or `monitor` mode, and the judgement of one request against them. Quota windows are
 * fixed UTC hours and days, so every isolate agrees on when a window resets without coordinating. A
 * credential without a policy is never judged (null in, null out): the feature costs nothing unused.
 */
import { cidrContains, parseAddress, parseCidr, type Cidr } from "./cidr";

export type GuardMode = "enforce" | "monitor";

/** An allow-list: normalised CIDR ranges (domain/cidr.ts) and what happens outside them. */
export interface NetworkPolicy {
  cidrs: string[];
  mode: GuardMode;
}

/** Mint quotas: at most `perHour` tokens per UTC hour and `perDay` per UTC day (null: no such quota). */
export interface QuotaPolicy {
  perHour: number | null;
  perDay: number | null;
  mode: GuardMode;
}

/** A credential's guardrails in wire names (admin API views and audit details); null where there is none. */
export type GuardrailsWire = {
  network: { cidrs: readonly string[]; mode: GuardMode } | null;
  quota: { per_hour: number | null; per_day: number | null; mode: GuardMode } | null;
};

/** The wire form of a credential's guardrails. */
export function guardrailsWire(network: NetworkPolicy | null, quota: QuotaPolicy | null): GuardrailsWire {
  return {
    network: network && { cidrs: network.cidrs, mode: network.mode },
    quota: quota && { per_hour: quota.perHour, per_day: quota.perDay, mode: quota.mode },
  };
}

/** Largest allow-list a credential may hold. */
export const MAX_ALLOWED_CIDRS = 100;
/** Largest quota either window may have. */
export const MAX_QUOTA = 10_000_000;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const parsedLists = new WeakMap<NetworkPolicy, Cidr[]>();

/** The policy's ranges, parsed once per policy object (the cached credential row keeps the same object). */
function rangesOf(policy: NetworkPolicy): Cidr[] {
  let ranges = parsedLists.get(policy);
  if (!ranges) {
    ranges = policy.cidrs.map(parseCidr).filter((c): c is Cidr => c !== null);
    parsedLists.set(policy, ranges);
  }
  return ranges;
}

/** True when `address` (CF-Connecting-IP) is inside the list; a missing or unparsable address is outside. */
export function isAllowedAddress(policy: NetworkPolicy, address: string | undefined): boolean {
  const parsed = address === undefined ? null : parseAddress(address);
  return parsed !== null && rangesOf(policy).some((range) => cidrContains(range, parsed));
}

/** The start of the UTC hour and day `nowMs` falls in. */
export function windowStarts(nowMs: number): { hour: number; day: number } {
  return { hour: Math.floor(nowMs / HOUR_MS) * HOUR_MS, day: Math.floor(nowMs / DAY_MS) * DAY_MS };
}

/** One window of a quota as a response reports it. */
export interface QuotaWindowState {
  window: "hour" | "day";
  limit: number;
  /** Tokens left after this request (0 when over). */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** What the quota says about one more mint, given the estimated mints already made in each window. */
export interface QuotaJudgement {
  /** Over a quota (the window that binds is `tightest`); in monitor mode the mint goes ahead anyway. */
  over: boolean;
  /** The window with the fewest tokens left: what the headers report. */
  tightest: QuotaWindowState;
  /** The windows already used up, for the event and Retry-After (the latest reset of them). */
  exceeded: QuotaWindowState[];
}

/** Judges one more mint at `nowMs` against `policy`, given `used` mints so far this hour and this day. */
export function judgeQuota(policy: QuotaPolicy, used: { hour: number; day: number }, nowMs: number): QuotaJudgement {
  const starts = windowStarts(nowMs);
  const windows: { state: QuotaWindowState; used: number }[] = [];
  const add = (window: "hour" | "day", limit: number | null, count: number, resetAt: number) => {
    if (limit === null) return;
    const resetSeconds = Math.max(1, Math.ceil((resetAt - nowMs) / 1000));
    windows.push({ state: { window, limit, remaining: Math.max(0, limit - count - 1), resetSeconds }, used: count });
  };
  add("hour", policy.perHour, used.hour, starts.hour + HOUR_MS);
  add("day", policy.perDay, used.day, starts.day + DAY_MS);
  const exceeded = windows.filter((w) => w.used >= w.state.limit).map((w) => w.state);
  const tightest = windows.reduce((a, b) => (b.state.limit - b.used < a.state.limit - a.used ? b : a)).state;
  return { over: exceeded.length > 0, tightest: exceeded.at(-1) ?? tightest, exceeded };
}

/** Retry-After for a refused mint: until the last of the used-up windows resets. */
export function quotaRetryAfter(judgement: QuotaJudgement): number {
  return Math.max(...judgement.exceeded.map((w) => w.resetSeconds));
}
