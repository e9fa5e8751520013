/**
 * The hourly cron: signing-key rotation and pruning, resealing signing keys after a key-encryption-key
 * rotation, retiring expired secrets and keys and republishing KV revocation entries that are behind D1,
 * deleting ended console sessions and spent sign-in throttles. Each step's failure is logged and retried
 * next hour without stopping the others.
 */
import type { Env } from "../config";
import { primaryDb } from "../storage/db";
import { pruneThrottles } from "../storage/sign-in-throttles";
import { pruneSessions } from "../storage/sessions";
import { reportKeyRotation } from "./secret-rotation-cron";
import { THROTTLE_WINDOW_MS } from "./sign-in";
import { SESSION_IDLE_MS } from "./sessions";
import { syncRevocations } from "./revocation-sync";
import { ringDeps, rotateSigningKeys } from "./signing-key-ring";

export async function runMaintenance(env: Env, nowMs: number): Promise<void> {
  try {
    const result = await rotateSigningKeys(ringDeps(env), nowMs);
    console.log(JSON.stringify({ event: "maintenance", signing_key_created: result.created ?? null }));
  } catch (err) {
    console.error(JSON.stringify({ event: "maintenance_failed", error: String(err) }));
  }
  try {
    await reportKeyRotation(env, nowMs);
  } catch (err) {
    console.error(JSON.stringify({ event: "key_rotation_step_failed", error: String(err) }));
  }
  try {
    console.log(JSON.stringify({ event: "revocation_sync", ...(await syncRevocations(env, nowMs)) }));
  } catch (err) {
    console.error(JSON.stringify({ event: "revocation_sync_failed", error: String(err) }));
  }
  try {
    await pruneSessions(primaryDb(env.DB), nowMs, SESSION_IDLE_MS);
    await pruneThrottles(primaryDb(env.DB), nowMs - THROTTLE_WINDOW_MS);
  } catch (err) {
    console.error(JSON.stringify({ event: "session_prune_failed", error: String(err) }));
  }
}
