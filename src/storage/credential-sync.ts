/**
 * Statements that keep each credential's KV revocation entry in step with D1: every change marks its
 * credential changed (changed_at) in its own batch, a successful publish records what it reflected
 * (published_at), and the hourly cron republishes whatever is behind and retires secrets and keys past
 * their end. KV has no compare-and-set, so D1 holds the bookkeeping and the cron converges on it.
 */
import { and, eq, inArray, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { credentialKeys, credentialSecrets, credentials } from "./schema";

/** Records, in the change's own batch, that the token endpoint must learn of a change made at `nowMs` (when `condition` holds). */
export function touchCredential(db: Db, id: string, nowMs: number, condition?: SQL) {
  return db
    .update(credentials)
    .set({ changedAt: sql`max(coalesce(${credentials.changedAt}, 0), ${nowMs})` })
    .where(and(eq(credentials.id, id), condition));
}

/** Records that the KV entry, written at `writtenAt`, reflects every change up to `changedAt`. */
export function markPublished(db: Db, id: string, changedAt: number, writtenAt: number) {
  return db
    .update(credentials)
    .set({
      publishedAt: sql`max(coalesce(${credentials.publishedAt}, 0), ${changedAt})`,
      kvWrittenAt: sql`max(coalesce(${credentials.kvWrittenAt}, 0), ${writtenAt})`,
    })
    .where(eq(credentials.id, id));
}

/**
 * Credentials whose KV entry must be rewritten: changed after their last publish (listed first, so they are
 * never starved by the bound), or listing a retired id that has outlived `memoryMs` (retired after
 * `kv_written_at - memoryMs`, at or before `nowMs - memoryMs`). A rewrite moves kv_written_at to its own time,
 * so an aged id is republished once, not every hour.
 */
export function credentialsToPublish(db: Db, nowMs: number, memoryMs: number, limit: number) {
  const published = sql`coalesce(${credentials.publishedAt}, 0)`;
  const written = sql`coalesce(${credentials.kvWrittenAt}, ${credentials.publishedAt}, 0)`;
  const behind = sql`coalesce(${credentials.changedAt}, ${credentials.createdAt}) > ${published}`;
  const aged = (table: typeof credentialSecrets | typeof credentialKeys) =>
    sql`exists (select 1 from ${table} where ${table.credentialId} = ${credentials.id} and ${table.retiredAt} > ${written} - ${memoryMs} and ${table.retiredAt} <= ${nowMs - memoryMs})`;
  return db
    .select({ id: credentials.id, tenantId: credentials.tenantId })
    .from(credentials)
    .where(or(behind, aged(credentialSecrets), aged(credentialKeys)))
    .orderBy(sql`${behind} desc`)
    .limit(limit)
    .all();
}

/**
 * The cron's retirement of secrets past their end (a rotation's grace): retired as of their expiry, and their
 * credentials marked changed so the cron republishes them. Returns the batch's statements.
 */
export function retireExpiredSecretsAndKeys(db: Db, nowMs: number) {
  const expired = (table: typeof credentialSecrets | typeof credentialKeys) =>
    and(isNull(table.retiredAt), isNotNull(table.expiresAt), lte(table.expiresAt, nowMs));
  return [
    db
      .update(credentials)
      .set({ changedAt: sql`max(coalesce(${credentials.changedAt}, 0), ${nowMs})` })
      .where(
        or(
          inArray(
            credentials.id,
            db.select({ id: credentialSecrets.credentialId }).from(credentialSecrets).where(expired(credentialSecrets)),
          ),
          inArray(
            credentials.id,
            db.select({ id: credentialKeys.credentialId }).from(credentialKeys).where(expired(credentialKeys)),
          ),
        ),
      ),
    db
      .update(credentialSecrets)
      .set({ retiredAt: sql`${credentialSecrets.expiresAt}` })
      .where(expired(credentialSecrets)),
    db
      .update(credentialKeys)
      .set({ retiredAt: sql`${credentialKeys.expiresAt}` })
      .where(expired(credentialKeys)),
  ] as const;
}
