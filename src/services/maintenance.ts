/**
 * The hourly cron: signing-key rotation and pruning, resealing signing keys after a key-encryption-key
 * rotation, retiring expired secrets and keys and republishing KV revocation entries that are behind D1,
 * deleting ended console sessions and spent sign-in throttles. Each step's failure is logged and retried
 * next hour without stopping the others.
 */
import type { Env } from "../config";
import { log } from "../log";
import { primaryDb } from "../storage/db";
import { pruneThrottles } from "../storage/sign-in-throttles";
import { pruneSessions } from "../storage/sessions";
import { reportKeyRotation } from "./secret-rotation-cron";
import { THROTTLE_WINDOW_MS } from "./sign-in";
import { SESSION_IDLE_MS } from "./sessions";
import { syncRevocations } from "./revocation-sync";
import { rotateSigningKeys } from "./signing-key-ring";

export async function runMaintenance(env: Env, nowMs: number): Promise<void> {
  try {
    const result = await rotateSigningKeys(env, nowMs);
    log.info("maintenance", { signing_key_created: result.created ?? null });
  } catch (err) {
    log.error("maintenance_failed", { error: String(err) });
  }
  try {
    await reportKeyRotation(env, nowMs);
  } catch (err) {
    log.error("key_rotation_step_failed", { error: String(err) });
  }
  try {
    log.info("revocation_sync", { ...(await syncRevocations(env, nowMs)) });
  } catch (err) {
    log.error("revocation_sync_failed", { error: String(err) });
  }
  try {
    await pruneSessions(primaryDb(env.DB), nowMs, SESSION_IDLE_MS);
    await pruneThrottles(primaryDb(env.DB), nowMs - THROTTLE_WINDOW_MS);
  } catch (err) {
    log.error("session_prune_failed", { error: String(err) });
  }
}
