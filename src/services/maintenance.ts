/**
 * The hourly cron: signing-key rotation and pruning (every tenant's ring), resealing signing keys after a key-encryption-key
 * rotation, retiring expired secrets and keys and republishing KV revocation entries that are behind D1,
 * deleting ended console sessions and spent sign-in throttles, the time-based webhook events, forgetting token
 * revocations whose tokens have all expired, deleting expired device sign-ins and ended tool sessions, and the
 * guardrails' caching health (with the pruning of their counts). Each step's failure is logged and retried
 * next hour without stopping the others. It runs on a context built from the cron's env and waitUntil.
 */
import type { RequestContext } from "../context";
import { DEFAULT_TENANT_ID } from "../domain/management";
import { SESSION_IDLE_MS } from "../domain/session-rules";
import { pruneDeviceAuthorizations } from "../storage/device-authorizations";
import { pruneDeviceSessions } from "../storage/device-sessions";
import { pruneSessions } from "../storage/sessions";
import { pruneThrottles } from "../storage/sign-in-throttles";
import { pruneTokenRevocations } from "../storage/token-revocations";
import { CLOCK_SKEW_SECONDS } from "../config";
import { checkCachingHealth } from "./caching-health-cron";
import { syncRevocations } from "./revocation-sync";
import { reportKeyRotation } from "./secret-rotation-cron";
import { THROTTLE_WINDOW_MS } from "./sign-in";
import { sendTimeBasedNotices } from "./webhook-notices";
import { resealWebhookSecrets } from "./webhook-reseal";
import { rotateAllSigningKeys } from "./signing-key-ring";

/** Runs every step once at `nowMs` (the cron's scheduled time). Never throws. */
export async function runMaintenance(
  ctx: Pick<RequestContext, "db" | "config" | "revocations" | "log" | "env" | "background">,
  nowMs: number,
): Promise<void> {
  try {
    const created = await rotateAllSigningKeys(ctx, nowMs, (tenant, err) =>
      ctx.log.error("maintenance_failed", { tenant, error: String(err) }),
    );
    ctx.log.info("maintenance", {
      signing_key_created: created[DEFAULT_TENANT_ID] ?? null,
      signing_keys_created: created,
    });
  } catch (err) {
    ctx.log.error("maintenance_failed", { error: String(err) });
  }
  try {
    await reportKeyRotation(ctx, nowMs);
  } catch (err) {
    ctx.log.error("key_rotation_step_failed", { error: String(err) });
  }
  try {
    ctx.log.info("revocation_sync", await syncRevocations(ctx, nowMs));
  } catch (err) {
    ctx.log.error("revocation_sync_failed", { error: String(err) });
  }
  try {
    await pruneSessions(ctx.db, nowMs, SESSION_IDLE_MS);
    await pruneThrottles(ctx.db, nowMs - THROTTLE_WINDOW_MS);
  } catch (err) {
    ctx.log.error("session_prune_failed", { error: String(err) });
  }
  try {
    await resealWebhookSecrets(ctx);
    await sendTimeBasedNotices(ctx, nowMs);
  } catch (err) {
    ctx.log.error("webhook_notice_step_failed", { error: String(err) });
  }
  try {
    const [jtis, clients] = await pruneTokenRevocations(ctx.db, nowMs, CLOCK_SKEW_SECONDS * 1000);
    ctx.log.info("token_revocation_prune", { jtis: jtis.meta.changes, not_befores: clients.meta.changes });
  } catch (err) {
    ctx.log.error("token_revocation_prune_failed", { error: String(err) });
  }
  try {
    await pruneDeviceAuthorizations(ctx.db, nowMs);
    await pruneDeviceSessions(ctx.db, nowMs);
  } catch (err) {
    ctx.log.error("device_prune_failed", { error: String(err) });
  }
  try {
    ctx.log.info("caching_health", await checkCachingHealth(ctx, nowMs));
  } catch (err) {
    ctx.log.error("caching_health_failed", { error: String(err) });
  }
}
