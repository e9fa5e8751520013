/**
 * The audit side of changing a credential's guardrails: whether a patch touches them, and the
 * credential.guardrails.update event (before and after, in wire names) that goes into the change's own batch.
 */
import { guardrailsWire, type NetworkPolicy, type QuotaPolicy } from "../domain/guardrails";
import { auditInsert } from "../storage/audit";
import type { Db } from "../storage/db";
import type { CredentialRow } from "../storage/schema";
import type { Actor } from "./credentials";

interface GuardrailPatch {
  networkPolicy?: NetworkPolicy | null;
  quotaPolicy?: QuotaPolicy | null;
}

/** True when the patch sets or removes a guardrail. */
export const touchesGuardrails = (patch: GuardrailPatch) =>
  patch.networkPolicy !== undefined || patch.quotaPolicy !== undefined;

/** The audit insert for a guardrail change, or nothing when the patch leaves them alone. */
export function guardrailsAudit(db: Db, who: Actor, credential: CredentialRow, patch: GuardrailPatch, nowMs: number) {
  if (!touchesGuardrails(patch)) return [];
  const before = guardrailsWire(credential.networkPolicy, credential.quotaPolicy);
  const after = guardrailsWire(
    patch.networkPolicy === undefined ? credential.networkPolicy : patch.networkPolicy,
    patch.quotaPolicy === undefined ? credential.quotaPolicy : patch.quotaPolicy,
  );
  return [
    auditInsert(db, {
      ...who,
      at: nowMs,
      action: "credential.guardrails.update",
      targetType: "credential",
      targetId: credential.id,
      detail: { before, after },
    }),
  ];
}
