/**
 * Repository for credentials' public keys (private_key_jwt). Like secrets, writes are returned unexecuted
 * so they batch with their audit event. A key row's id is derived from the setup code that made it, so a
 * redemption retried after an unclear failure rewrites the same row instead of adding a second one.
 */
import { and, desc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { insertIf } from "./guarded-insert";
import { credentialKeys, type CredentialKeyRow } from "./schema";

/** All keys of a credential, retired ones included, newest first (for the admin view and rotation). */
export function listKeys(db: Db, tenantId: string, credentialId: string): Promise<CredentialKeyRow[]> {
  return db
    .select()
    .from(credentialKeys)
    .where(and(eq(credentialKeys.tenantId, tenantId), eq(credentialKeys.credentialId, credentialId)))
    .orderBy(desc(credentialKeys.createdAt))
    .all();
}

/**
 * Inserts a key, or rewrites the row of the same id (an earlier attempt of the same redemption), only when
 * `condition` holds when the statement runs (the redemption's claim was recorded).
 */
export function upsertKeyIf(db: Db, row: CredentialKeyRow, condition: SQL) {
  return insertIf(db, credentialKeys, row, condition).onConflictDoUpdate({
    target: credentialKeys.id,
    set: {
      thumbprint: row.thumbprint,
      alg: row.alg,
      publicJwk: row.publicJwk,
      createdAt: row.createdAt,
      retiredAt: null,
    },
  });
}

/** Shortens the life of the given keys to `expiresAt` (never lengthens it), when `condition` holds: the rotation grace period. */
export function capKeyExpiry(db: Db, credentialId: string, keyIds: string[], expiresAt: number, condition?: SQL) {
  return db
    .update(credentialKeys)
    .set({ expiresAt: sql`min(coalesce(${credentialKeys.expiresAt}, ${expiresAt}), ${expiresAt})` })
    .where(and(eq(credentialKeys.credentialId, credentialId), inArray(credentialKeys.id, keyIds), condition));
}

export function retireKey(db: Db, credentialId: string, keyId: string, nowMs: number) {
  return db
    .update(credentialKeys)
    .set({ retiredAt: nowMs })
    .where(
      and(
        eq(credentialKeys.credentialId, credentialId),
        eq(credentialKeys.id, keyId),
        isNull(credentialKeys.retiredAt),
      ),
    );
}

/** Retires every live key of a credential (revocation). */
export function retireAllKeys(db: Db, credentialId: string, nowMs: number) {
  return db
    .update(credentialKeys)
    .set({ retiredAt: nowMs })
    .where(and(eq(credentialKeys.credentialId, credentialId), isNull(credentialKeys.retiredAt)));
}
