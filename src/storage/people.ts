/**
 * Repository for people: users, invitations and first-owner tokens (sign-in counters: sign-in-throttles.ts).
 * Writes are returned unexecuted so each batches with its audit event. Single use is enforced inside the
 * batch: the claim UPDATE stamps the new user's id, and the user INSERT reads its tenant_id back from the
 * claimed row, so an already-used, revoked or expired link leaves it NULL and the NOT NULL constraint
 * rolls the whole batch back.
 */
import { and, asc, desc, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import type { Role } from "../domain/roles";
import { invitations, memberships, ownerSetupTokens, users, type InvitationRow, type UserRow } from "./schema-console";

export function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.email, email)).get();
}

/** A person by id, whatever their tenant: their home row. */
export function getUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export function getUser(db: Db, tenantId: string, id: string): Promise<UserRow | undefined> {
  return db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .get();
}

export function listUsers(db: Db, tenantId: string): Promise<UserRow[]> {
  return db.select().from(users).where(eq(users.tenantId, tenantId)).orderBy(asc(users.createdAt)).all();
}

/**
 * SQL: how many owners a tenant has, at home (users) or by membership. Every last-owner guard counts both,
 * so a tenant whose only other owner belongs by membership still keeps one.
 */
export const ownerCount = (tenantId: string) =>
  sql`((select count(*) from users as home_owners where home_owners.tenant_id = ${tenantId} and home_owners.role = 'owner') + (select count(*) from memberships as member_owners where member_owners.tenant_id = ${tenantId} and member_owners.role = 'owner'))`;

/** How many owners the tenant has, at home or by membership. */
export async function countOwners(db: Db, tenantId: string): Promise<number> {
  const row = await db.get<{ n: number }>(sql`select ${ownerCount(tenantId)} as n`);
  return row?.n ?? 0;
}

export function insertUser(db: Db, row: UserRow) {
  return db.insert(users).values(row);
}

/** Inserts a user whose tenant_id is read from the row `claim` just stamped; NULL (and a rollback) otherwise. */
export function insertClaimedUser(
  db: Db,
  row: Omit<UserRow, "tenantId">,
  claim: { table: "invitation" | "owner_token"; id: string },
) {
  const tenantId =
    claim.table === "invitation"
      ? sql`(select ${invitations.tenantId} from ${invitations} where ${invitations.id} = ${claim.id} and ${invitations.acceptedBy} = ${row.id})`
      : sql`(select ${ownerSetupTokens.tenantId} from ${ownerSetupTokens} where ${ownerSetupTokens.id} = ${claim.id} and ${ownerSetupTokens.usedBy} = ${row.id})`;
  return db.insert(users).values({ ...row, tenantId });
}

/** True, inside a statement on `users`, while the row is not its tenant's last owner. */
const notLastOwner = (tenantId: string) => sql`(${users.role} <> 'owner' or ${ownerCount(tenantId)} > 1)`;

/** Changes a role, unless that would demote the tenant's last owner (checked in the same statement). */
export function setUserRole(db: Db, tenantId: string, id: string, role: Role) {
  return db
    .update(users)
    .set({ role })
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id), notLastOwner(tenantId)));
}

/** Deletes a user, unless they are the tenant's last owner (checked in the same statement). */
export function deleteUser(db: Db, tenantId: string, id: string) {
  return db.delete(users).where(and(eq(users.tenantId, tenantId), eq(users.id, id), notLastOwner(tenantId)));
}

/** SQL true while the user is at home in the tenant and not its last owner: the guard for removing them. */
export const userRemovable = (tenantId: string, id: string) =>
  sql`exists (select 1 from ${users} where ${users.id} = ${id} and ${users.tenantId} = ${tenantId} and ${notLastOwner(tenantId)})`;

/**
 * When `onlyIf` holds and the person belongs to other tenants, makes the oldest of those memberships their
 * home (its role becomes theirs, the membership row goes): removing someone from their home tenant takes away
 * that tenant only, never their access elsewhere. Without memberships the first statement changes nothing.
 */
export function rehomeToOldestMembership(db: Db, tenantId: string, id: string, onlyIf: SQL) {
  const oldest = (column: "tenant_id" | "role") =>
    sql.raw(
      `(select m.${column} from memberships as m where m.user_id = users.id order by m.created_at, m.tenant_id limit 1)`,
    );
  return [
    db
      .update(users)
      .set({ tenantId: sql`${oldest("tenant_id")}`, role: sql`${oldest("role")}` })
      .where(
        and(
          eq(users.id, id),
          eq(users.tenantId, tenantId),
          sql`exists (select 1 from memberships as m where m.user_id = ${id})`,
          onlyIf,
        ),
      ),
    db
      .delete(memberships)
      .where(
        and(
          eq(memberships.userId, id),
          sql`${memberships.tenantId} = (select home.tenant_id from users as home where home.id = ${id})`,
        ),
      ),
  ] as const;
}

export function markSignedIn(db: Db, id: string, at: number) {
  return db.update(users).set({ lastSignInAt: at }).where(eq(users.id, id));
}

export function insertInvitation(db: Db, row: InvitationRow) {
  return db.insert(invitations).values(row);
}

export function listInvitations(db: Db, tenantId: string): Promise<InvitationRow[]> {
  return db
    .select()
    .from(invitations)
    .where(eq(invitations.tenantId, tenantId))
    .orderBy(desc(invitations.createdAt))
    .limit(500)
    .all();
}

export function getInvitation(db: Db, tenantId: string, id: string): Promise<InvitationRow | undefined> {
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)))
    .get();
}

/** The invitation whose token hash is one of `tokenHashes` (one per accepted pepper). */
export function findInvitationByHash(db: Db, tokenHashes: string[]): Promise<InvitationRow | undefined> {
  return db.select().from(invitations).where(inArray(invitations.tokenHash, tokenHashes)).get();
}

/** Revokes the tenant's invitations that match `which` and are still pending (neither accepted nor revoked). */
function revokePending(db: Db, tenantId: string, which: SQL | undefined, at: number, by: string) {
  return db
    .update(invitations)
    .set({ revokedAt: at, revokedBy: by })
    .where(
      and(eq(invitations.tenantId, tenantId), which, isNull(invitations.acceptedAt), isNull(invitations.revokedAt)),
    );
}

/** Revokes a tenant's pending invitations to `email` when `onlyIf` holds: a removed person cannot return by an older link. */
export function revokePendingInvitationsTo(
  db: Db,
  tenantId: string,
  email: string,
  at: number,
  by: string,
  onlyIf: SQL,
) {
  return revokePending(db, tenantId, and(eq(invitations.email, email), onlyIf), at, by);
}

export function revokeInvitation(db: Db, tenantId: string, id: string, at: number, by: string) {
  return revokePending(db, tenantId, eq(invitations.id, id), at, by);
}

/** Stamps a pending, unexpired invitation as accepted by `userId`; matches nothing otherwise. */
export function claimInvitation(db: Db, id: string, userId: string, at: number) {
  return db
    .update(invitations)
    .set({ acceptedAt: at, acceptedBy: userId })
    .where(
      and(
        eq(invitations.id, id),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, at),
      ),
    );
}

export function insertOwnerToken(db: Db, row: typeof ownerSetupTokens.$inferInsert) {
  return db.insert(ownerSetupTokens).values(row);
}

/** Removes a tenant's unused first-owner links (a new link replaces them). */
export function deleteUnusedOwnerTokens(db: Db, tenantId: string) {
  return db
    .delete(ownerSetupTokens)
    .where(and(eq(ownerSetupTokens.tenantId, tenantId), isNull(ownerSetupTokens.usedAt)));
}

/** The first-owner link whose token hash is one of `tokenHashes` (one per accepted pepper). */
export function findOwnerToken(db: Db, tokenHashes: string[]) {
  return db.select().from(ownerSetupTokens).where(inArray(ownerSetupTokens.tokenHash, tokenHashes)).get();
}

/** Stamps an unused, unexpired link as used by `userId`, only while the tenant still has no owner. */
export function claimOwnerToken(db: Db, id: string, tenantId: string, userId: string, at: number) {
  const noOwner = sql`${ownerCount(tenantId)} = 0`;
  return db
    .update(ownerSetupTokens)
    .set({ usedAt: at, usedBy: userId })
    .where(
      and(eq(ownerSetupTokens.id, id), isNull(ownerSetupTokens.usedAt), gt(ownerSetupTokens.expiresAt, at), noOwner),
    );
}
