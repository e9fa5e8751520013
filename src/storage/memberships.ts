/**
 * Repository for memberships: a person's roles in tenants other than their home tenant (users.tenant_id).
 * Writes are returned unexecuted so each batches with its audit event. The claim of a first-owner link by a
 * signed-in person inserts the membership only while the link row records that claim, in the same batch.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "./db";
import { tenants } from "./schema";
import { memberships, ownerSetupTokens, sessions, users, type MembershipRow, type UserRow } from "./schema-console";

/** The person's membership of `tenantId` (not their home tenant), or undefined. */
export function getMembership(db: Db, tenantId: string, userId: string): Promise<MembershipRow | undefined> {
  return db
    .select()
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
    .get();
}

/** Every tenant a person may be active in: the home tenant first, then the memberships, with names. */
export async function tenantsOfUser(db: Db, user: Pick<UserRow, "id" | "tenantId" | "role">) {
  const home = await db
    .select({ id: tenants.id, name: tenants.name })
    .from(tenants)
    .where(eq(tenants.id, user.tenantId))
    .get();
  const others = await db
    .select({ id: tenants.id, name: tenants.name, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(memberships.createdAt))
    .all();
  return [{ id: user.tenantId, name: home?.name ?? user.tenantId, role: user.role }, ...others];
}

export function insertMembership(db: Db, row: MembershipRow) {
  return db.insert(memberships).values(row);
}

/** Inserts a membership whose tenant_id is read from the owner link `linkId` once it records `userId` as its user. */
export function insertClaimedMembership(db: Db, row: Omit<MembershipRow, "tenantId">, linkId: string) {
  const tenantId = sql`(select ${ownerSetupTokens.tenantId} from ${ownerSetupTokens} where ${ownerSetupTokens.id} = ${linkId} and ${ownerSetupTokens.usedBy} = ${row.userId})`;
  return db.insert(memberships).values({ ...row, tenantId });
}

/** Deletes a person's sessions in every tenant (their removal from their home tenant removes them everywhere). */
export function deleteSessionsEverywhere(db: Db, userId: string, onlyIf?: ReturnType<typeof sql>) {
  return db.delete(sessions).where(and(eq(sessions.userId, userId), onlyIf));
}

/** Deletes every membership of a person (their removal from their home tenant removes them everywhere). */
export function deleteMembershipsOf(db: Db, userId: string, onlyIf?: ReturnType<typeof sql>) {
  return db.delete(memberships).where(and(eq(memberships.userId, userId), onlyIf));
}

/** People of a tenant who belong to it by membership, with the role they hold there. */
export async function membersByMembership(db: Db, tenantId: string): Promise<UserRow[]> {
  const rows = await db
    .select({ user: users, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.tenantId, tenantId))
    .orderBy(asc(memberships.createdAt))
    .all();
  return rows.map((r) => ({ ...r.user, tenantId, role: r.role }));
}
