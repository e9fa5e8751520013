/**
 * The network allow-list check both surfaces share (the token endpoint after client authentication, the admin
 * API for management credentials). It reads only the credential row the caller already holds (the token
 * endpoint's isolate cache, the admin API's per-request read), so a credential without a list costs one null
 * check. Outside the list, `monitor` lets the request through and `enforce` refuses it; either way one
 * coalesced alert per credential, source and hour (guardrail-alerts.ts).
 */
import { isAllowedAddress, windowStarts } from "../domain/guardrails";
import type { NetworkAlertDetail } from "../domain/audit-actions";
import { requestSource } from "../domain/request-source";
import type { CredentialRow } from "../storage/schema";
import { raiseAlert, type AlertDeps } from "./guardrail-alerts";

/** `pass` (no list, inside it, or outside in monitor mode) or `deny` (outside in enforce mode). */
export type NetworkVerdict = "pass" | "deny";

/** Judges a request from `address` (CF-Connecting-IP) for `credential` on `surface` at `nowMs`. */
export function judgeNetwork(
  deps: AlertDeps,
  credential: CredentialRow,
  address: string | undefined,
  surface: NetworkAlertDetail["surface"],
  nowMs: number,
): NetworkVerdict {
  const policy = credential.networkPolicy;
  if (!policy || isAllowedAddress(policy, address)) return "pass";
  const kind = policy.mode === "enforce" ? "network_denied" : "network_outside_allowlist";
  raiseAlert(
    deps,
    credential,
    {
      kind,
      source: requestSource(address),
      address: address ?? "unknown",
      surface,
      mode: policy.mode,
      windowStart: windowStarts(nowMs).hour,
    },
    nowMs,
  );
  return policy.mode === "enforce" ? "deny" : "pass";
}
