/**
 * Repository for signing keys: the published set of one tenant's ring, inserts, retirement marks and pruning.
 * Every read names its tenant, so one tenant's ring never holds (or signs with) another's key.
 */
import { and, asc, eq, isNull, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { signingKeys, tenants, type SigningKeyRow } from "./schema";

/** Every key of `tenantId`'s ring still published (current, pending and recently retired), oldest first. */
export function listSigningKeys(db: Db, tenantId: string): Promise<SigningKeyRow[]> {
  return db
    .select()
    .from(signingKeys)
    .where(eq(signingKeys.tenantId, tenantId))
    .orderBy(asc(signingKeys.activatesAt), asc(signingKeys.createdAt))
    .all();
}

/** Every stored key of every ring (the cron's reseal after a key-encryption-key rotation). */
export function listAllSigningKeys(db: Db): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).all();
}

/** The tenants that have a ring: the cron rotates each. */
export async function tenantsWithKeys(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ tenantId: signingKeys.tenantId }).from(signingKeys).all();
  return rows.map((r) => r.tenantId);
}

export function insertSigningKey(db: Db, row: SigningKeyRow): Promise<unknown> {
  return db.insert(signingKeys).values(row).run();
}

/**
 * Inserts the first key of a tenant's ring only while the ring has no unretired key, in one statement, so of
 * isolates racing to create it exactly one lands. `requireTenantRow`: only if the tenant exists (a
 * non-default tenant; the default tenant's ring may start before bootstrap creates its row).
 * True when this row was the one inserted.
 */
export async function insertFirstSigningKey(db: Db, row: SigningKeyRow, requireTenantRow: boolean): Promise<boolean> {
  const tenantExists = requireTenantRow
    ? sql`and exists (select 1 from ${tenants} where ${tenants.id} = ${row.tenantId})`
    : sql``;
  const result = await db.run(sql`
    insert into ${signingKeys} (kid, tenant_id, alg, public_jwk, private_jwk_envelope, created_at, activates_at, retired_at)
    select ${row.kid}, ${row.tenantId}, ${row.alg}, ${JSON.stringify(row.publicJwk)}, ${row.privateJwkEnvelope}, ${row.createdAt}, ${row.activatesAt}, null
    where not exists (select 1 from ${signingKeys} where ${signingKeys.tenantId} = ${row.tenantId} and ${signingKeys.retiredAt} is null)
    ${tenantExists}`);
  return result.meta.changes > 0;
}

/** Replaces a key's envelope (resealed under the current key-encryption key) unless another writer already did. */
export async function replaceEnvelope(db: Db, kid: string, from: string, to: string): Promise<boolean> {
  const result = await db
    .update(signingKeys)
    .set({ privateJwkEnvelope: to })
    .where(and(eq(signingKeys.kid, kid), eq(signingKeys.privateJwkEnvelope, from)))
    .run();
  return result.meta.changes > 0;
}

/** Marks a key as no longer signing from `at` (a newer key took over). */
export function markRetired(db: Db, kid: string, at: number): Promise<unknown> {
  return db
    .update(signingKeys)
    .set({ retiredAt: at })
    .where(and(eq(signingKeys.kid, kid), isNull(signingKeys.retiredAt)))
    .run();
}

/** Deletes keys retired before `cutoff`: every token they signed has expired. */
export function pruneRetired(db: Db, cutoff: number): Promise<unknown> {
  return db
    .delete(signingKeys)
    .where(and(isNotNull(signingKeys.retiredAt), lt(signingKeys.retiredAt, cutoff)))
    .run();
}
