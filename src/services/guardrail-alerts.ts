/**
 * Guardrail alerts (a request outside an allow-list, a quota used up), coalesced to one per credential, key
 * and window, in two stages. In the isolate, a memo of the window each key last alerted in drops repeats at
 * no cost. Across isolates, a background batch upserts the key's window in guardrail_alerts only when it moves
 * forward; the audit insert in the same batch is guarded by `changes()`, so only the first isolate of a window
 * writes the event, and only it queues the webhook. Nothing waits for this on the request's path.
 */
import type { RequestContext } from "../context";
import { SYSTEM_ACTORS } from "../domain/actors";
import type { NetworkAlertDetail } from "../domain/audit-actions";
import type { GuardMode } from "../domain/guardrails";
import { auditInsertIf, previousStatementChanged, type AuditInput } from "../storage/audit";
import { claimAlert, upsertDeniedSource } from "../storage/guardrails";
import { GUARDRAIL_ALERT_MEMO_MAX_KEYS } from "../tunables";
import { queueWebhookEvent } from "./webhook-events";

/** What an alert uses: D1, the logger, background work, and env for the webhook queue. */
export type AlertDeps = Pick<RequestContext, "db" | "env" | "log" | "background">;

interface AlertCredential {
  id: string;
  tenantId: string;
  label: string;
}

export type GuardrailAlert =
  | ({ kind: "network_denied" | "network_outside_allowlist"; windowStart: number } & NetworkAlertDetail)
  | { kind: "quota_exceeded"; window: "hour" | "day"; limit: number; mode: GuardMode; windowStart: number };

const alerted = new Map<string, number>();

const keyOf = (alert: GuardrailAlert) =>
  alert.kind === "quota_exceeded" ? `quota:${alert.window}` : `${alert.kind}:${alert.source}`;

function auditEvent(credential: AlertCredential, alert: GuardrailAlert, nowMs: number): AuditInput {
  const facts = {
    tenantId: credential.tenantId,
    actor: SYSTEM_ACTORS.guardrails,
    at: nowMs,
    targetType: "credential" as const,
    targetId: credential.id,
  };
  if (alert.kind === "quota_exceeded") {
    const { window, limit, mode } = alert;
    const detail = { window, limit, mode, window_start: new Date(alert.windowStart).toISOString() };
    return { ...facts, action: "credential.quota_exceeded", detail };
  }
  const { source, address, surface, mode } = alert;
  const detail = { source, address, surface, mode };
  if (alert.kind === "network_denied") return { ...facts, ip: address, action: "credential.network_denied", detail };
  return { ...facts, ip: address, action: "credential.network_outside_allowlist", detail };
}

async function record(
  deps: AlertDeps,
  credential: AlertCredential,
  alert: GuardrailAlert,
  memoKey: string,
  nowMs: number,
) {
  const { db } = deps;
  const key = keyOf(alert);
  const event = auditEvent(credential, alert, nowMs);
  const denied =
    alert.kind === "network_denied"
      ? [
          upsertDeniedSource(db, {
            credentialId: credential.id,
            tenantId: credential.tenantId,
            source: alert.source,
            address: alert.address,
            at: nowMs,
          }),
        ]
      : [];
  try {
    const [claimed] = await db.batch([
      claimAlert(db, credential.id, credential.tenantId, key, alert.windowStart),
      auditInsertIf(db, event, previousStatementChanged()),
      ...denied,
    ]);
    if (claimed.meta.changes === 0) return;
    const { kind, windowStart, ...data } = alert;
    deps.log.info("guardrail_alert", { credential: credential.id, kind, key });
    queueWebhookEvent(deps, {
      tenantId: credential.tenantId,
      type: `credential.${kind}`,
      subject: credential.id,
      data: {
        credential_id: credential.id,
        label: credential.label,
        window_start: new Date(windowStart).toISOString(),
        ...data,
      },
    });
  } catch (err) {
    alerted.delete(memoKey);
    deps.log.error("guardrail_alert_failed", { credential: credential.id, kind: alert.kind, error: String(err) });
  }
}

/** Raises an alert unless this isolate already raised it in the same window; the work runs in the background. */
export function raiseAlert(deps: AlertDeps, credential: AlertCredential, alert: GuardrailAlert, nowMs: number): void {
  const memoKey = `${credential.id}\n${alert.kind}\n${keyOf(alert)}`;
  if ((alerted.get(memoKey) ?? -1) >= alert.windowStart) return;
  if (alerted.size >= GUARDRAIL_ALERT_MEMO_MAX_KEYS) alerted.clear();
  alerted.set(memoKey, alert.windowStart);
  deps.background(record(deps, credential, alert, memoKey, nowMs));
}

/** Forgets which alerts this isolate raised (tests that simulate another isolate). */
export function forgetAlertMemo(): void {
  alerted.clear();
}
