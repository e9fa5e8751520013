/**
 * Repository for memberships: a person's roles in tenants other than their home tenant (users.tenant_id).
 * Writes are returned unexecuted so each batches with its audit event. The claim of a first-owner link by a
 * signed-in person inserts the membership only while the link row records that claim, in the same batch.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Role } from "../domain/roles";
import type { Db } from "./db";
import { ownerCount } from "./people";
import { tenants } from "./schema";
import {
  invitations,
  memberships,
  ownerSetupTokens,
  sessions,
  users,
  type MembershipRow,
  type UserRow,
} from "./schema-console";

/** The person's membership of `tenantId` (not their home tenant), or undefined. */
export function getMembership(db: Db, tenantId: string, userId: string): Promise<MembershipRow | undefined> {
  return db
    .select()
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
    .get();
}

/**
 * The person as a member of `tenantId`, from their home row and the role of their membership there (null
 * when none): the home row in their home tenant, the membership's tenant and role elsewhere, else undefined.
 */
export function asMemberOf(user: UserRow, tenantId: string, membershipRole: Role | null): UserRow | undefined {
  if (user.tenantId === tenantId) return user;
  return membershipRole ? { ...user, tenantId, role: membershipRole } : undefined;
}

/** A person of `tenantId` by id, at home or by membership, with which of the two; undefined if neither. */
export async function findMember(
  db: Db,
  tenantId: string,
  userId: string,
): Promise<{ user: UserRow; byMembership: boolean } | undefined> {
  const row = await db
    .select({ user: users, role: memberships.role })
    .from(users)
    .leftJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.tenantId, tenantId)))
    .where(eq(users.id, userId))
    .get();
  const user = row && asMemberOf(row.user, tenantId, row.role);
  return user && { user, byMembership: row.user.tenantId !== tenantId };
}

const membershipOf = (tenantId: string, userId: string) =>
  and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId));
const notLastOwner = (tenantId: string) => sql`(${memberships.role} <> 'owner' or ${ownerCount(tenantId)} > 1)`;

/** Changes a membership's role, unless that would demote the tenant's last owner (checked in the statement). */
export function setMembershipRole(db: Db, tenantId: string, userId: string, role: Role) {
  return db
    .update(memberships)
    .set({ role })
    .where(and(membershipOf(tenantId, userId), notLastOwner(tenantId)));
}

/** Deletes a membership, unless it makes its holder the tenant's last owner (checked in the statement). */
export function deleteMembership(db: Db, tenantId: string, userId: string) {
  return db.delete(memberships).where(and(membershipOf(tenantId, userId), notLastOwner(tenantId)));
}

/** SQL true while the membership exists and is not the tenant's last owner: the guard for removing it. */
export const membershipRemovable = (tenantId: string, userId: string) =>
  sql`exists (select 1 from ${memberships} where ${membershipOf(tenantId, userId)} and ${notLastOwner(tenantId)})`;

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

/**
 * Inserts a membership whose tenant_id is read from the invitation `invitationId` once it records `userId` as
 * accepted at `createdAt`, i.e. by the claim in this very batch.
 */
export function insertInvitedMembership(db: Db, row: Omit<MembershipRow, "tenantId">, invitationId: string) {
  const tenantId = sql`(select ${invitations.tenantId} from ${invitations} where ${invitations.id} = ${invitationId} and ${invitations.acceptedBy} = ${row.userId} and ${invitations.acceptedAt} = ${row.createdAt})`;
  return db.insert(memberships).values({ ...row, tenantId });
}

/** Inserts a membership whose tenant_id is read from the owner link `linkId` once it records `userId` as its user at `createdAt` (this batch's claim). */
export function insertClaimedMembership(db: Db, row: Omit<MembershipRow, "tenantId">, linkId: string) {
  const tenantId = sql`(select ${ownerSetupTokens.tenantId} from ${ownerSetupTokens} where ${ownerSetupTokens.id} = ${linkId} and ${ownerSetupTokens.usedBy} = ${row.userId} and ${ownerSetupTokens.usedAt} = ${row.createdAt})`;
  return db.insert(memberships).values({ ...row, tenantId });
}

/** Deletes a person's sessions in every tenant, when `onlyIf` holds (a person deleted with their home tenant). */
export function deleteSessionsEverywhere(db: Db, userId: string, onlyIf?: ReturnType<typeof sql>) {
  return db.delete(sessions).where(and(eq(sessions.userId, userId), onlyIf));
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
