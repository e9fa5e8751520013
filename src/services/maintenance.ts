/** The hourly cron: signing-key rotation and pruning. Failures are logged and retried next hour. */
import type { Env } from "../config";
import { rotateSigningKeys } from "./signing-key-ring";

export async function runMaintenance(env: Env, nowMs: number): Promise<void> {
  try {
    const result = await rotateSigningKeys(env, nowMs);
    console.log(JSON.stringify({ event: "maintenance", signing_key_created: result.created ?? null }));
  } catch (err) {
    console.error(JSON.stringify({ event: "maintenance_failed", error: String(err) }));
  }
}
