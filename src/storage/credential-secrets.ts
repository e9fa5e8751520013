/**
 * Repository for credential secrets: the admin view's list, the guarded statements of rotation and
 * redemption (the two-live limit decided in SQL), retirement, usage and pepper renewal. Writes are returned
 * unexecuted so a service batches them with the audit event that records them.
 */
import { and, desc, eq, gt, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { insertIf } from "./guarded-insert";
import { credentialSecrets, type CredentialSecretRow } from "./schema";

/** All secrets of a credential, retired ones included, newest first (for the admin view). */
export function listSecrets(db: Db, tenantId: string, credentialId: string): Promise<CredentialSecretRow[]> {
  return db
    .select()
    .from(credentialSecrets)
    .where(and(eq(credentialSecrets.tenantId, tenantId), eq(credentialSecrets.credentialId, credentialId)))
    .orderBy(desc(credentialSecrets.createdAt))
    .all();
}

export function insertSecret(db: Db, row: CredentialSecretRow) {
  return db.insert(credentialSecrets).values(row);
}

/** SQL true while the credential has fewer than `max` live secrets (unretired, not past expiry) at `nowMs`. */
export function fewerLiveSecretsThan(credentialId: string, max: number, nowMs: number): SQL {
  return sql`(select count(*) from ${credentialSecrets} where ${credentialSecrets.credentialId} = ${credentialId} and ${credentialSecrets.retiredAt} is null and (${credentialSecrets.expiresAt} is null or ${credentialSecrets.expiresAt} > ${nowMs})) < ${max}`;
}

/** SQL true when a secret row of this id exists: the guard for the statements that follow a guarded insert. */
export function secretExists(secretId: string): SQL {
  return sql`exists (select 1 from ${credentialSecrets} where ${credentialSecrets.id} = ${secretId})`;
}

/** Inserts a secret only while `condition` holds when the statement runs (the two-live limit, a claim). */
export function insertSecretIf(db: Db, row: CredentialSecretRow, condition: SQL) {
  return insertIf(db, credentialSecrets, row, condition);
}

/**
 * Caps every live secret but `keepId` at `expiresAt` (the rotation grace), decided when the statement runs,
 * and only if `keepId` exists (its guarded insert happened).
 */
export function capOtherLiveSecrets(db: Db, credentialId: string, keepId: string, expiresAt: number, nowMs: number) {
  return db
    .update(credentialSecrets)
    .set({ expiresAt: sql`min(coalesce(${credentialSecrets.expiresAt}, ${expiresAt}), ${expiresAt})` })
    .where(
      and(
        eq(credentialSecrets.credentialId, credentialId),
        ne(credentialSecrets.id, keepId),
        isNull(credentialSecrets.retiredAt),
        or(isNull(credentialSecrets.expiresAt), gt(credentialSecrets.expiresAt, nowMs)),
        secretExists(keepId),
      ),
    );
}

/**
 * Inserts a secret, or rewrites the row of the same id (a setup-code redemption retried after a failure),
 * only when `condition` holds when the statement runs (the redemption's claim was recorded).
 */
export function upsertSecretIf(db: Db, row: CredentialSecretRow, condition: SQL) {
  return insertIf(db, credentialSecrets, row, condition).onConflictDoUpdate({
    target: credentialSecrets.id,
    set: {
      secretHash: row.secretHash,
      pepperId: row.pepperId,
      hint: row.hint,
      createdAt: row.createdAt,
      retiredAt: null,
    },
  });
}

/** Replaces a secret's hash with its hash under the current pepper, unless the stored hash changed meanwhile. */
export async function renewSecretHash(
  db: Db,
  secretId: string,
  storedHash: string,
  currentHash: string,
  pepperId: string,
): Promise<boolean> {
  const result = await db
    .update(credentialSecrets)
    .set({ secretHash: currentHash, pepperId })
    .where(and(eq(credentialSecrets.id, secretId), eq(credentialSecrets.secretHash, storedHash)))
    .run();
  return result.meta.changes > 0;
}

/** Live secrets whose hash is not (known to be) under the pepper `pepperId`: what a pepper rotation still waits for. */
export async function countSecretsNotUnderPepper(db: Db, pepperId: string, nowMs: number): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(credentialSecrets)
    .where(
      and(
        isNull(credentialSecrets.retiredAt),
        sql`coalesce(${credentialSecrets.expiresAt}, ${nowMs + 1}) > ${nowMs}`,
        sql`coalesce(${credentialSecrets.pepperId}, '') != ${pepperId}`,
      ),
    )
    .get();
  return row?.n ?? 0;
}

/** Shortens the life of the given secrets to `expiresAt` (never lengthens it), when `condition` holds: the rotation grace period. */
export function capSecretExpiry(db: Db, credentialId: string, secretIds: string[], expiresAt: number, condition?: SQL) {
  return db
    .update(credentialSecrets)
    .set({ expiresAt: sql`min(coalesce(${credentialSecrets.expiresAt}, ${expiresAt}), ${expiresAt})` })
    .where(and(eq(credentialSecrets.credentialId, credentialId), inArray(credentialSecrets.id, secretIds), condition));
}

export function retireSecret(db: Db, credentialId: string, secretId: string, nowMs: number) {
  return db
    .update(credentialSecrets)
    .set({ retiredAt: nowMs })
    .where(
      and(
        eq(credentialSecrets.credentialId, credentialId),
        eq(credentialSecrets.id, secretId),
        isNull(credentialSecrets.retiredAt),
      ),
    );
}

/** Retires every live secret of a credential (revocation). */
export function retireAllSecrets(db: Db, credentialId: string, nowMs: number) {
  return db
    .update(credentialSecrets)
    .set({ retiredAt: nowMs })
    .where(and(eq(credentialSecrets.credentialId, credentialId), isNull(credentialSecrets.retiredAt)));
}
