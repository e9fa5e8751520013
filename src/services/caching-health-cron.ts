/**
 * The hourly cron's guardrail step: judge the caching health of every credential that minted enough in the
 * last full UTC hour (domain/caching-health.ts), flag those whose clients do not cache and clear the flag of
 * those that recovered; a newly flagged credential gets one credential.not_caching webhook (a flag that stays
 * set sends no more). Then delete guardrail state past its retention. Runs on the cron's context.
 */
import type { RequestContext } from "../context";
import { cachingHealth, NOT_CACHING_MIN_MINTS } from "../domain/caching-health";
import { HOUR_MS, windowStarts } from "../domain/guardrails";
import { hourForCachingHealth, pruneGuardrailState, setCachingFlag } from "../storage/guardrails";
import { queueWebhookEvent } from "./webhook-events";

/** Mint counts per hour are kept this long, recent sources this long after they were last seen. */
const KEEP = { hoursMs: 8 * 86_400_000, sourcesMs: 30 * 86_400_000 };

/** Judges the hour before the one `nowMs` falls in; returns how many credentials were flagged and cleared. */
export async function checkCachingHealth(
  ctx: Pick<RequestContext, "db" | "config" | "env" | "log" | "background">,
  nowMs: number,
): Promise<{ flagged: number; cleared: number }> {
  const hourStart = windowStarts(nowMs).hour - HOUR_MS;
  const rows = await hourForCachingHealth(ctx.db, hourStart, NOT_CACHING_MIN_MINTS);
  const flag: typeof rows = [];
  const clear: string[] = [];
  for (const row of rows) {
    const health = cachingHealth(row.mints, row.sources, row.tokenLifetime ?? ctx.config.tokenLifetimeSeconds);
    if (health.status !== "not_caching") {
      if (row.flaggedAt !== null) clear.push(row.id);
    } else if (row.flaggedAt === null) {
      flag.push(row);
      queueWebhookEvent(ctx, {
        tenantId: row.tenantId,
        type: "credential.not_caching",
        subject: row.id,
        data: {
          credential_id: row.id,
          label: row.label,
          hour_start: new Date(hourStart).toISOString(),
          mints: health.mints,
          expected: health.expected,
          sources: health.sources,
        },
      });
    }
  }
  if (flag.length > 0)
    await setCachingFlag(
      ctx.db,
      flag.map((r) => r.id),
      nowMs,
    );
  if (clear.length > 0) await setCachingFlag(ctx.db, clear, null);
  await pruneGuardrailState(ctx.db, nowMs, KEEP);
  return { flagged: flag.length, cleared: clear.length };
}
