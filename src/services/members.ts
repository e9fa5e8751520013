/**
 * Changing a member's role and removing them, for people at home in the tenant and people there by
 * membership alike (docs/realms.md). Each change is one db.batch whose guard (the last owner, counted at home
 * and by membership) lives in the statement itself, so two owners acting at once cannot both win, and whose
 * audit event is written exactly when the change happens. Removal takes away that tenant only.
 */
import type { RequestContext } from "../context";
import { ProblemError, problems } from "../domain/errors";
import type { Role } from "../domain/roles";
import { auditInsertIf, previousStatementChanged } from "../storage/audit";
import { deleteUserDeviceSessions } from "../storage/device-sessions";
import {
  deleteMembership,
  deleteSessionsEverywhere,
  findMember,
  membershipRemovable,
  setMembershipRole,
} from "../storage/memberships";
import * as people from "../storage/people";
import type { UserRow } from "../storage/schema-console";
import { deleteUserSessions } from "../storage/sessions";
import type { Actor } from "./credentials";

type Deps = Pick<RequestContext, "db">;

const lastOwner = () => new ProblemError("last_owner", "The last owner cannot be demoted or removed.");

async function requireMember(ctx: Deps, tenantId: string, id: string) {
  const found = await findMember(ctx.db, tenantId, id);
  if (!found) throw problems.notFound("member");
  return found;
}

const roleChangeEvent = (who: Actor, user: UserRow, role: Role, nowMs: number) => ({
  ...who,
  at: nowMs,
  action: "member.role.change" as const,
  targetType: "user" as const,
  targetId: user.id,
  detail: { email: user.email, before: user.role, after: role },
});

/**
 * Changes a member's role in the caller's tenant: their home role, or their membership's role for someone
 * who belongs by membership. The last owner (counted at home and by membership) cannot be demoted.
 */
export async function changeRole(ctx: Deps, who: Actor, id: string, role: Role, nowMs: number): Promise<UserRow> {
  const { db } = ctx;
  const { user, byMembership } = await requireMember(ctx, who.tenantId, id);
  if (user.role === role) return user;
  // The guard lives in the UPDATE itself, so two owners demoting each other at once cannot both succeed;
  // the event right after it is written only if it changed the row.
  const [changed] = await db.batch([
    byMembership ? setMembershipRole(db, who.tenantId, id, role) : people.setUserRole(db, who.tenantId, id, role),
    auditInsertIf(db, roleChangeEvent(who, user, role, nowMs), previousStatementChanged()),
  ]);
  if (changed.meta.changes === 0) throw await refusal(ctx, who.tenantId, id);
  return { ...user, role };
}

/** Why a guarded change of a member changed nothing: they left meanwhile (404), or they are the last owner. */
async function refusal(ctx: Deps, tenantId: string, id: string) {
  return (await findMember(ctx.db, tenantId, id)) ? lastOwner() : problems.notFound("member");
}

const removalEvent = (who: Actor, user: UserRow, nowMs: number) => ({
  ...who,
  at: nowMs,
  action: "member.remove" as const,
  targetType: "user" as const,
  targetId: user.id,
  detail: { email: user.email, role: user.role },
});

/**
 * Removes a member from the caller's tenant and ends every session (console and tool) they have in it, and
 * revokes the tenant's pending invitations to them; the last owner cannot be removed. Someone there by
 * membership loses that membership only. Someone at home there who belongs to other tenants keeps those
 * (the oldest becomes their home); anyone else is deleted.
 */
export async function removeMember(ctx: Deps, who: Actor, id: string, nowMs: number): Promise<void> {
  const { user, byMembership } = await requireMember(ctx, who.tenantId, id);
  const removed = byMembership
    ? await removeMembership(ctx, who, user, nowMs)
    : await removeAtHome(ctx, who, user, nowMs);
  if (!removed) throw await refusal(ctx, who.tenantId, id);
}

// Each batch opens with the event under the guard that its change then applies under, so the event is
// written exactly when the change happens.
async function removeMembership(ctx: Deps, who: Actor, user: UserRow, nowMs: number): Promise<boolean> {
  const { db } = ctx;
  const removable = () => membershipRemovable(who.tenantId, user.id);
  const results = await db.batch([
    auditInsertIf(db, removalEvent(who, user, nowMs), removable()),
    people.revokePendingInvitationsTo(db, who.tenantId, user.email, nowMs, who.actor, removable()),
    deleteUserSessions(db, who.tenantId, user.id, removable()),
    ...deleteUserDeviceSessions(db, who.tenantId, user.id, removable()),
    deleteMembership(db, who.tenantId, user.id),
  ]);
  return results[results.length - 1].meta.changes > 0;
}

async function removeAtHome(ctx: Deps, who: Actor, user: UserRow, nowMs: number): Promise<boolean> {
  const { db } = ctx;
  const removable = () => people.userRemovable(who.tenantId, user.id);
  const [rehome, dropNewHomeMembership] = people.rehomeToOldestMembership(db, who.tenantId, user.id, removable());
  const deleteUser = people.deleteUser(db, who.tenantId, user.id);
  // Sessions go first (they reference the user), under the same last-owner guard as the change itself;
  // once rehomed, the person is no longer at home here, so the statements for a deletion change nothing.
  const statements = [
    auditInsertIf(db, removalEvent(who, user, nowMs), removable()),
    people.revokePendingInvitationsTo(db, who.tenantId, user.email, nowMs, who.actor, removable()),
    deleteUserSessions(db, who.tenantId, user.id, removable()),
    ...deleteUserDeviceSessions(db, who.tenantId, user.id, removable()),
    rehome,
    dropNewHomeMembership,
    deleteSessionsEverywhere(db, user.id, removable()),
    ...deleteUserDeviceSessions(db, null, user.id, removable()),
    deleteUser,
  ] as const;
  const results = await db.batch(statements);
  const changes = (s: (typeof statements)[number]) => results[statements.indexOf(s)].meta.changes;
  return changes(rehome) + changes(deleteUser) > 0;
}
