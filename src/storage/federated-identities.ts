/**
 * Repository for federated identities (trust rules on a credential). Writes are returned unexecuted so they
 * batch with their audit event; the insert is guarded by the per-credential limit in the same statement, so
 * two racing creations cannot pass MAX_FEDERATED_IDENTITIES. Deletion is soft (deleted_at) and guarded.
 */
import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "./db";
import { insertIf } from "./guarded-insert";
import { federatedIdentities, type FederatedIdentityRow } from "./schema";

/** The credential's rules that are not deleted, oldest first. */
export function listFederatedIdentities(
  db: Db,
  tenantId: string,
  credentialId: string,
): Promise<FederatedIdentityRow[]> {
  return db
    .select()
    .from(federatedIdentities)
    .where(
      and(
        eq(federatedIdentities.tenantId, tenantId),
        eq(federatedIdentities.credentialId, credentialId),
        isNull(federatedIdentities.deletedAt),
      ),
    )
    .orderBy(asc(federatedIdentities.createdAt), asc(federatedIdentities.id))
    .all();
}

/** The live rules of a credential, whatever its tenant: what the token endpoint matches subject tokens against. */
export function rulesForExchange(db: Db, credentialId: string): Promise<FederatedIdentityRow[]> {
  return db
    .select()
    .from(federatedIdentities)
    .where(and(eq(federatedIdentities.credentialId, credentialId), isNull(federatedIdentities.deletedAt)))
    .all();
}

/** Inserts a rule only while the credential has fewer than `max` live ones (checked when the statement runs). */
export function insertFederatedIdentityIf(db: Db, row: FederatedIdentityRow, max: number) {
  const live = sql`(select count(*) from ${federatedIdentities} where ${federatedIdentities.credentialId} = ${row.credentialId} and ${federatedIdentities.deletedAt} is null)`;
  return insertIf(db, federatedIdentities, row, sql`${live} < ${max}`);
}

/** Soft-deletes a live rule of the credential. */
export function deleteFederatedIdentity(db: Db, credentialId: string, id: string, nowMs: number) {
  return db
    .update(federatedIdentities)
    .set({ deletedAt: nowMs })
    .where(
      and(
        eq(federatedIdentities.credentialId, credentialId),
        eq(federatedIdentities.id, id),
        isNull(federatedIdentities.deletedAt),
      ),
    );
}

/** The credential's deleted rules, as retired authenticators, for its KV revocation entry. */
export function deletedFederatedIdentities(db: Db, tenantId: string, credentialId: string) {
  return db
    .select({ id: federatedIdentities.id, retiredAt: federatedIdentities.deletedAt, expiresAt: sql<null>`null` })
    .from(federatedIdentities)
    .where(
      and(
        eq(federatedIdentities.tenantId, tenantId),
        eq(federatedIdentities.credentialId, credentialId),
        isNotNull(federatedIdentities.deletedAt),
      ),
    )
    .all();
}
