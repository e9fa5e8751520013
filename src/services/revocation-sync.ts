/**
 * The cron's half of keeping KV in step with D1: secrets and keys past their end (a rotation's grace) are
 * retired, so the token endpoint never loads them again, and every credential whose KV entry is behind
 * (a publish that failed, a change the cron itself made, a retired id past the 24 h memory) is republished
 * from the D1 primary. Bounded per run; what is left waits for the next hour.
 */
import type { RequestContext } from "../context";
import { credentialsToPublish, retireExpiredSecretsAndKeys } from "../storage/credential-sync";
import { publishCredentialChange, RETIRED_MEMORY_MS, type PublishDeps } from "./credential-changes";

const MAX_PUBLISHES_PER_RUN = 500;

/** Retires what has expired, then republishes what is behind; returns the counts for the maintenance log. */
export async function syncRevocations(
  ctx: PublishDeps & Pick<RequestContext, "db">,
  nowMs: number,
): Promise<{ retired: number; published: number; failed: number }> {
  const { db } = ctx;
  const [, secrets, keys] = await db.batch(retireExpiredSecretsAndKeys(db, nowMs));
  const behind = await credentialsToPublish(db, nowMs, RETIRED_MEMORY_MS, MAX_PUBLISHES_PER_RUN);
  let published = 0;
  for (const c of behind) {
    if (await publishCredentialChange(ctx, c.tenantId, c.id, nowMs)) published += 1;
  }
  return { retired: secrets.meta.changes + keys.meta.changes, published, failed: behind.length - published };
}
