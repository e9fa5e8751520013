/**
 * What the admin API shows of a credential's guardrails beyond the policies on its row: the sources it was
 * seen from recently (so an admin can move from monitor to enforce knowing what would break) and the caching
 * health of its last full hour. Admin reads on the D1 primary, never on the token path.
 */
import type { RequestContext } from "../context";
import { cachingHealth, type CachingHealth } from "../domain/caching-health";
import { HOUR_MS, windowStarts } from "../domain/guardrails";
import { mintsSince, recentSources } from "../storage/guardrails";
import type { CredentialRow, CredentialSourceRow } from "../storage/schema";

/** Sources older than this are not shown (the cron deletes them after 30 days). */
export const RECENT_SOURCES_MS = 7 * 86_400_000;
/** Most sources one detail view lists. */
export const RECENT_SOURCES_SHOWN = 50;

export interface GuardrailReadout {
  sources: CredentialSourceRow[];
  /** The caching health of the last full UTC hour. */
  caching: CachingHealth;
}

/** Reads the recent sources and the last full hour's mints of a credential at `nowMs`. */
export async function guardrailReadout(
  ctx: Pick<RequestContext, "db" | "config">,
  credential: Pick<CredentialRow, "id" | "tenantId" | "tokenLifetime">,
  nowMs: number,
): Promise<GuardrailReadout> {
  const lastHour = windowStarts(nowMs).hour - HOUR_MS;
  const [sources, hours] = await Promise.all([
    recentSources(ctx.db, credential.tenantId, credential.id, nowMs - RECENT_SOURCES_MS, RECENT_SOURCES_SHOWN),
    mintsSince(ctx.db, credential.id, lastHour),
  ]);
  const mints = hours.find((h) => h.hourStart === lastHour)?.count ?? 0;
  const seen = sources.filter((s) => s.lastSeenAt >= lastHour && s.mintCount > 0).length;
  const lifetime = credential.tokenLifetime ?? ctx.config.tokenLifetimeSeconds;
  return { sources, caching: cachingHealth(mints, seen, lifetime) };
}
