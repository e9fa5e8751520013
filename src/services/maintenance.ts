/** The hourly cron: signing-key rotation and pruning, and deleting ended console sessions. Failures are logged and retried next hour. */
import type { Env } from "../config";
import { primaryDb } from "../storage/db";
import { pruneSessions } from "../storage/sessions";
import { SESSION_IDLE_MS } from "./sessions";
import { rotateSigningKeys } from "./signing-key-ring";

export async function runMaintenance(env: Env, nowMs: number): Promise<void> {
  try {
    const result = await rotateSigningKeys(env, nowMs);
    console.log(JSON.stringify({ event: "maintenance", signing_key_created: result.created ?? null }));
  } catch (err) {
    console.error(JSON.stringify({ event: "maintenance_failed", error: String(err) }));
  }
  try {
    await pruneSessions(primaryDb(env.DB), nowMs, SESSION_IDLE_MS);
  } catch (err) {
    console.error(JSON.stringify({ event: "session_prune_failed", error: String(err) }));
  }
}
