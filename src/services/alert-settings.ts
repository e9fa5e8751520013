/**
 * Changing a tenant's alert policy: what a leaked-secret report does (retire the secret at once, or only
 * notify) and after how many unused days a credential is reported stale. Choosing "notify" weakens an
 * automatic defence, so the route asks for credentials:write as well; the change is audited in its batch.
 */
import type { RequestContext } from "../context";
import { auditInsert } from "../storage/audit";
import { upsertAlertSettings } from "../storage/webhooks";
import type { Actor } from "./credentials";

export interface AlertSettingsInput {
  leakedSecretAction: "retire" | "notify";
  staleAfterDays: number;
}

/** Writes the tenant's alert settings with their audit event. */
export async function updateAlertSettings(
  ctx: Pick<RequestContext, "db">,
  who: Actor,
  input: AlertSettingsInput,
  nowMs: number,
): Promise<void> {
  await ctx.db.batch([
    upsertAlertSettings(ctx.db, { tenantId: who.tenantId, ...input, updatedAt: nowMs, updatedBy: who.actor }),
    auditInsert(ctx.db, {
      ...who,
      at: nowMs,
      action: "alert_settings.update",
      targetType: "tenant",
      targetId: who.tenantId,
      detail: { leaked_secret_action: input.leakedSecretAction, stale_after_days: input.staleAfterDays },
    }),
  ]);
}
