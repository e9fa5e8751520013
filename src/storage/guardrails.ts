/**
 * Repository for guardrail state: recent sources, mint counts per hour and the alert dedupe. The usage flush
 * and the alert recorder run these writes in the background, never on the mint's path; upserts add to what
 * other isolates wrote (counts are sums, times are maxima), so concurrent flushes never lose each other's counts.
 */
import { and, desc, eq, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { credentialMintHours, credentialSources, credentials, guardrailAlerts } from "./schema";

/** Records a refusal by the allow-list from `source` at `at`. */
export function upsertDeniedSource(
  db: Db,
  row: { credentialId: string; tenantId: string; source: string; address: string; at: number },
) {
  return db
    .insert(credentialSources)
    .values({ ...row, firstSeenAt: row.at, lastSeenAt: row.at, mintCount: 0, lastDeniedAt: row.at })
    .onConflictDoUpdate({
      target: [credentialSources.credentialId, credentialSources.source],
      set: {
        address: sql`excluded.address`,
        lastSeenAt: sql`max(${credentialSources.lastSeenAt}, excluded.last_seen_at)`,
        lastDeniedAt: sql`excluded.last_denied_at`,
      },
    });
}

/**
 * Moves the alert `key` of a credential to the window starting at `windowStart`, unless it is already there:
 * `changes()` is 1 only for the first request of a window, which then writes the event (auditInsertIf).
 */
export function claimAlert(db: Db, credentialId: string, tenantId: string, key: string, windowStart: number) {
  return db
    .insert(guardrailAlerts)
    .values({ credentialId, tenantId, alertKey: key, windowStart })
    .onConflictDoUpdate({
      target: [guardrailAlerts.credentialId, guardrailAlerts.alertKey],
      set: { windowStart: sql`excluded.window_start` },
      setWhere: sql`${guardrailAlerts.windowStart} < excluded.window_start`,
    });
}

/** Mints of a credential in the hours from `sinceHour` on: the hour and day totals a quota reads. */
export async function mintsSince(db: Db, credentialId: string, sinceHour: number) {
  return db
    .select({ hourStart: credentialMintHours.hourStart, count: credentialMintHours.mintCount })
    .from(credentialMintHours)
    .where(and(eq(credentialMintHours.credentialId, credentialId), gte(credentialMintHours.hourStart, sinceHour)))
    .all();
}

/** The sources a credential was seen from since `sinceMs`, most recent first. */
export function recentSources(db: Db, tenantId: string, credentialId: string, sinceMs: number, limit: number) {
  return db
    .select()
    .from(credentialSources)
    .where(
      and(
        eq(credentialSources.tenantId, tenantId),
        eq(credentialSources.credentialId, credentialId),
        gte(credentialSources.lastSeenAt, sinceMs),
      ),
    )
    .orderBy(desc(credentialSources.lastSeenAt))
    .limit(limit)
    .all();
}

/**
 * The hour's minting of every credential that minted at least `minMints` in it or is flagged now, with what
 * caching health needs: the token lifetime, the flag and the sources seen since the hour began.
 */
export function hourForCachingHealth(db: Db, hourStart: number, minMints: number) {
  const mints = sql<number>`coalesce((select ${credentialMintHours.mintCount} from ${credentialMintHours}
    where ${credentialMintHours.credentialId} = ${credentials.id} and ${credentialMintHours.hourStart} = ${hourStart}), 0)`;
  const sources = sql<number>`(select count(*) from ${credentialSources}
    where ${credentialSources.credentialId} = ${credentials.id} and ${credentialSources.lastSeenAt} >= ${hourStart})`;
  return db
    .select({
      id: credentials.id,
      tenantId: credentials.tenantId,
      label: credentials.label,
      tokenLifetime: credentials.tokenLifetime,
      flaggedAt: credentials.cachingFlaggedAt,
      mints,
      sources,
    })
    .from(credentials)
    .where(
      sql`${isNotNull(credentials.cachingFlaggedAt)} or ${credentials.id} in (select ${credentialMintHours.credentialId}
        from ${credentialMintHours} where ${credentialMintHours.hourStart} = ${hourStart}
        and ${credentialMintHours.mintCount} >= ${minMints})`,
    )
    .all();
}

/** Sets or clears the caching flag of credentials. */
export function setCachingFlag(db: Db, ids: string[], flaggedAt: number | null) {
  return db.update(credentials).set({ cachingFlaggedAt: flaggedAt }).where(inArray(credentials.id, ids));
}

/** Deletes hour counts, sources and alert claims older than their retention. */
export function pruneGuardrailState(db: Db, nowMs: number, keep: { hoursMs: number; sourcesMs: number }) {
  return db.batch([
    db.delete(credentialMintHours).where(lt(credentialMintHours.hourStart, nowMs - keep.hoursMs)),
    db.delete(credentialSources).where(lt(credentialSources.lastSeenAt, nowMs - keep.sourcesMs)),
    db.delete(guardrailAlerts).where(lt(guardrailAlerts.windowStart, nowMs - 2 * 86_400_000)),
  ]);
}
