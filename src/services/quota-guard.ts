/**
 * The mint quota check of the token endpoint: judges one more mint against the credential's quotas from the
 * isolate's estimate (quota-counter.ts), raises one coalesced alert per credential and window once a window is
 * used up, and gives the headers that report the remaining quota. A credential without quotas costs one null
 * check. The mint itself is counted by the usage recorder once it succeeds.
 */
import { judgeQuota, quotaRetryAfter, windowStarts, type QuotaWindowState } from "../domain/guardrails";
import type { CredentialRow } from "../storage/schema";
import { raiseAlert, type AlertDeps } from "./guardrail-alerts";
import { estimatedMints, type QuotaDeps } from "./quota-counter";

/** The response headers of a credential with quotas (docs/guardrails.md). */
export function quotaHeaders(state: QuotaWindowState): Record<string, string> {
  return {
    "Latchkey-Quota-Limit": String(state.limit),
    "Latchkey-Quota-Remaining": String(state.remaining),
    "Latchkey-Quota-Reset": String(state.resetSeconds),
    "Latchkey-Quota-Window": state.window,
  };
}

/** What the quota says about one more mint: the headers to send, and a Retry-After when it is refused. */
export interface QuotaOutcome {
  headers: Record<string, string>;
  refuseFor?: number;
}

/** Judges one more mint of `credential` at `nowMs`; null when it has no quota. */
export function judgeMintQuota(
  deps: AlertDeps & QuotaDeps,
  credential: CredentialRow,
  nowMs: number,
): QuotaOutcome | null {
  const policy = credential.quotaPolicy;
  if (!policy) return null;
  const judgement = judgeQuota(policy, estimatedMints(deps, credential.id, nowMs), nowMs);
  const headers = quotaHeaders(judgement.tightest);
  if (!judgement.over) return { headers };
  const starts = windowStarts(nowMs);
  for (const w of judgement.exceeded) {
    const windowStart = w.window === "hour" ? starts.hour : starts.day;
    raiseAlert(
      deps,
      credential,
      { kind: "quota_exceeded", window: w.window, limit: w.limit, mode: policy.mode, windowStart },
      nowMs,
    );
  }
  return policy.mode === "enforce" ? { headers, refuseFor: quotaRetryAfter(judgement) } : { headers };
}
