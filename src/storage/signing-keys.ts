/** Repository for signing keys: the published set, inserts, retirement marks and pruning. */
import { and, asc, eq, isNull, isNotNull, lt } from "drizzle-orm";
import type { Db } from "./db";
import { signingKeys, type SigningKeyRow } from "./schema";

/** Every key still published (current, pending and recently retired), oldest first. */
export function listSigningKeys(db: Db): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).orderBy(asc(signingKeys.activatesAt), asc(signingKeys.createdAt)).all();
}

export function insertSigningKey(db: Db, row: SigningKeyRow): Promise<unknown> {
  return db.insert(signingKeys).values(row).run();
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
