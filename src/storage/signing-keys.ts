/** Repository for signing keys: the published set, inserts, retirement marks and pruning. */
import { and, asc, eq, isNull, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { signingKeys, type SigningKeyRow } from "./schema";

/** Every key still published (current, pending and recently retired), oldest first. */
export function listSigningKeys(db: Db): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).orderBy(asc(signingKeys.activatesAt), asc(signingKeys.createdAt)).all();
}

export function insertSigningKey(db: Db, row: SigningKeyRow): Promise<unknown> {
  return db.insert(signingKeys).values(row).run();
}

/**
 * Inserts the first key of a fresh database only while no unretired key exists, in one statement, so of
 * isolates racing to create it exactly one lands. True when this row was the one inserted.
 */
export async function insertFirstSigningKey(db: Db, row: SigningKeyRow): Promise<boolean> {
  const result = await db.run(sql`
    insert into ${signingKeys} (kid, alg, public_jwk, private_jwk_envelope, created_at, activates_at, retired_at)
    select ${row.kid}, ${row.alg}, ${JSON.stringify(row.publicJwk)}, ${row.privateJwkEnvelope}, ${row.createdAt}, ${row.activatesAt}, null
    where not exists (select 1 from ${signingKeys} where ${signingKeys.retiredAt} is null)`);
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
