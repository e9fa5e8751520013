/**
 * People in a tenant: the first owner (through a one-time link), invitations and their acceptance, role
 * changes, removal and ending sessions. Each change is one db.batch with its audit event. One-time links
 * (256-bit tokens, stored only as keyed hashes) are claimed inside that batch, so a link works once even
 * when two requests race (see storage/people.ts). A little past 300 lines on purpose: every flow here
 * shares that claim-once batch pattern and the last-owner guard, which read best side by side.
 */
import type { RequestContext } from "../context";
import { randomToken } from "../crypto/encoding";
import { hashPassword } from "../crypto/passwords";
import { keyedHash, newId } from "../crypto/secrets";
import { SYSTEM_ACTORS, userActor } from "../domain/actors";
import { ProblemError, problems } from "../domain/errors";
import { INVITATION_TTL_MS, invitationStatus, isOwnerLinkUsable, OWNER_LINK_TTL_MS } from "../domain/invitation-rules";
import { DEFAULT_TENANT_ID } from "../domain/management";
import type { Role } from "../domain/roles";
import { auditInsert, auditInsertIf, previousStatementChanged } from "../storage/audit";
import { isNotNullViolation, isUniqueViolation } from "../storage/errors";
import * as people from "../storage/people";
import type { InvitationRow, UserRow } from "../storage/schema-console";
import { deleteUserDeviceSessions } from "../storage/device-sessions";
import {
  deleteMembership,
  deleteSessionsEverywhere,
  findMember,
  membershipRemovable,
  setMembershipRole,
} from "../storage/memberships";
import { deleteSession, deleteUserSessions, getSession, insertSession } from "../storage/sessions";
import type { Actor } from "./credentials";
import { acceptedHashes } from "./pepper-rotation";
import { newSession } from "./sessions";
import type { RequestFacts } from "./sign-in";
import { getTenant } from "../storage/tenants";
import { ensureTenant } from "./tenants";

/** What people services use: the D1 primary, the pepper and issuer (config), and env for the previous pepper. */
type Deps = Pick<RequestContext, "db" | "config" | "env">;

export const ownerExists = () => new ProblemError("owner_exists", "This instance already has an owner.");
export const invalidInvitation = () =>
  new ProblemError("invalid_invitation", "This invitation link is unknown, used, revoked or expired.");
const invalidSetupToken = () => new ProblemError("invalid_setup_token", "This setup link is unknown, used or expired.");
const lastOwner = () => new ProblemError("last_owner", "The last owner cannot be demoted or removed.");
const emailTaken = () => new ProblemError("email_taken", "A person with this email already exists.");
export const alreadyMember = () => new ProblemError("already_member", "This person already belongs to this tenant.");
const accountExists = () =>
  new ProblemError("account_exists", "This email already has an account: sign in with it, then accept the invitation.");

const tokenHash = (ctx: Deps, purpose: string, token: string) =>
  keyedHash(ctx.config.secretPepper, `${purpose}:${token}`);

/** The person with this (lower-cased) email, in any tenant; emails are unique deployment-wide. */
export function personByEmail(ctx: Pick<RequestContext, "db">, email: string): Promise<UserRow | undefined> {
  return people.findUserByEmail(ctx.db, email);
}

/** A one-time link (1 hour) that lets whoever holds it create the default tenant's first owner. */
export async function createOwnerLink(ctx: Deps, facts: RequestFacts, nowMs: number) {
  const { db } = ctx;
  await ensureTenant(db, DEFAULT_TENANT_ID, "Default", nowMs);
  if ((await people.countOwners(db, DEFAULT_TENANT_ID)) > 0) throw ownerExists();
  const token = randomToken(32);
  const id = newId("own");
  const expiresAt = nowMs + OWNER_LINK_TTL_MS;
  await db.batch([
    people.deleteUnusedOwnerTokens(db, DEFAULT_TENANT_ID),
    people.insertOwnerToken(db, {
      id,
      tenantId: DEFAULT_TENANT_ID,
      tokenHash: await tokenHash(ctx, "owner", token),
      createdAt: nowMs,
      createdBy: SYSTEM_ACTORS.bootstrap,
      expiresAt,
    }),
    auditInsert(db, {
      tenantId: DEFAULT_TENANT_ID,
      actor: SYSTEM_ACTORS.bootstrap,
      action: "owner.link.create",
      targetType: "owner_link",
      targetId: id,
      ...facts,
      at: nowMs,
    }),
  ]);
  return { url: `${ctx.config.issuer}/#/setup-owner?token=${token}`, expiresAt };
}

interface NewPerson {
  email?: string;
  name: string;
  password: string;
}

async function personRow(
  input: NewPerson & { email: string },
  role: Role,
  createdBy: string,
  nowMs: number,
): Promise<Omit<UserRow, "tenantId">> {
  return {
    id: newId("usr"),
    email: input.email,
    name: input.name,
    role,
    passwordHash: await hashPassword(input.password),
    createdAt: nowMs,
    createdBy,
    lastSignInAt: nowMs,
  };
}

/** Creates the first owner with a setup link and signs them in. */
export async function setupOwner(
  ctx: Deps,
  token: string,
  input: NewPerson & { email: string },
  facts: RequestFacts,
  nowMs: number,
) {
  const { db } = ctx;
  const link = await people.findOwnerToken(db, await acceptedHashes(ctx.config, `owner:${token}`));
  if (!link || !isOwnerLinkUsable(link, nowMs)) throw invalidSetupToken();
  if ((await people.countOwners(db, link.tenantId)) > 0) throw ownerExists();
  if (await people.findUserByEmail(db, input.email)) throw emailTaken();
  const row = await personRow(input, "owner", SYSTEM_ACTORS.ownerLink, nowMs);
  const user: UserRow = { ...row, tenantId: link.tenantId };
  const session = await newSession(ctx, user, facts.ip, facts.userAgent, nowMs);
  try {
    await db.batch([
      people.claimOwnerToken(db, link.id, link.tenantId, row.id, nowMs),
      people.insertClaimedUser(db, row, { table: "owner_token", id: link.id }),
      insertSession(db, session.row),
      auditInsert(db, {
        tenantId: link.tenantId,
        actor: userActor(row.email),
        action: "owner.setup",
        targetType: "user",
        targetId: row.id,
        ...facts,
        detail: { email: row.email, link: link.id },
        at: nowMs,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken();
    if (!isNotNullViolation(err)) throw err;
    throw (await people.countOwners(db, link.tenantId)) > 0 ? ownerExists() : invalidSetupToken();
  }
  return { user, session: session.row, token: session.token };
}

/** A pending invitation named by its link token, or 400 invalid_invitation. */
export async function pendingInvitation(ctx: Deps, token: string, nowMs: number): Promise<InvitationRow> {
  const inv = await people.findInvitationByHash(ctx.db, await acceptedHashes(ctx.config, `invite:${token}`));
  if (!inv || invitationStatus(inv, nowMs) !== "pending") throw invalidInvitation();
  return inv;
}

/**
 * What an invitation link's holder is shown: the pending invitation, its tenant's name, and whether its email
 * already has an account (then they sign in and join, rather than create one). The holder is its addressee.
 */
export async function invitationSummary(ctx: Deps, token: string, nowMs: number) {
  const invitation = await pendingInvitation(ctx, token, nowMs);
  const [tenant, existing] = await Promise.all([
    getTenant(ctx.db, invitation.tenantId),
    people.findUserByEmail(ctx.db, invitation.email),
  ]);
  return { invitation, tenantName: tenant?.name ?? invitation.tenantId, existingAccount: existing !== undefined };
}

/**
 * Creates an invitation; the link (with its token) is returned once and only its hash is stored. Someone who
 * already has an account elsewhere in the deployment may be invited (they join by membership once signed in),
 * so the answer never tells a tenant which emails other tenants hold; only a member of this tenant is refused.
 */
export async function createInvitation(ctx: Deps, who: Actor, email: string, role: Role, nowMs: number) {
  const { db } = ctx;
  const existing = await people.findUserByEmail(db, email);
  if (existing && (await findMember(db, who.tenantId, existing.id))) throw alreadyMember();
  const token = randomToken(32);
  const row: InvitationRow = {
    id: newId("inv"),
    tenantId: who.tenantId,
    email,
    role,
    tokenHash: await tokenHash(ctx, "invite", token),
    createdAt: nowMs,
    createdBy: who.actor,
    expiresAt: nowMs + INVITATION_TTL_MS,
    acceptedAt: null,
    acceptedBy: null,
    revokedAt: null,
    revokedBy: null,
  };
  await db.batch([
    people.insertInvitation(db, row),
    auditInsert(db, {
      ...who,
      at: nowMs,
      action: "invitation.create",
      targetType: "invitation",
      targetId: row.id,
      detail: { email, role },
    }),
  ]);
  return { invitation: row, url: `${ctx.config.issuer}/#/accept-invite?token=${token}` };
}

/**
 * Accepts an invitation as a new person: creates them with the invited role and signs them in. An email that
 * already has an account joins by membership instead (services/memberships.ts joinByInvitation).
 */
export async function acceptInvitation(ctx: Deps, token: string, input: NewPerson, facts: RequestFacts, nowMs: number) {
  const { db } = ctx;
  const inv = await pendingInvitation(ctx, token, nowMs);
  if (await people.findUserByEmail(db, inv.email)) throw accountExists();
  const row = await personRow({ ...input, email: inv.email }, inv.role, inv.createdBy, nowMs);
  const user: UserRow = { ...row, tenantId: inv.tenantId };
  const session = await newSession(ctx, user, facts.ip, facts.userAgent, nowMs);
  try {
    await db.batch([
      people.claimInvitation(db, inv.id, row.id, nowMs),
      people.insertClaimedUser(db, row, { table: "invitation", id: inv.id }),
      insertSession(db, session.row),
      auditInsert(db, {
        tenantId: inv.tenantId,
        actor: userActor(row.email),
        action: "invitation.accept",
        targetType: "invitation",
        targetId: inv.id,
        ...facts,
        detail: { user: row.id, role: inv.role },
        at: nowMs,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw accountExists();
    if (isNotNullViolation(err)) throw invalidInvitation();
    throw err;
  }
  return { user, session: session.row, token: session.token };
}

export async function revokeInvitation(ctx: Deps, who: Actor, id: string, nowMs: number): Promise<void> {
  const { db } = ctx;
  const inv = await people.getInvitation(db, who.tenantId, id);
  if (!inv) throw problems.notFound("invitation");
  if (invitationStatus(inv, nowMs) !== "pending") throw problems.conflict("Only a pending invitation can be revoked.");
  await db.batch([
    people.revokeInvitation(db, who.tenantId, id, nowMs, who.actor),
    auditInsert(db, {
      ...who,
      at: nowMs,
      action: "invitation.revoke",
      targetType: "invitation",
      targetId: id,
      detail: { email: inv.email, role: inv.role },
    }),
  ]);
}

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

/** Ends a session: one's own, or anyone's in the tenant for a caller allowed to (owners). 404 otherwise. */
export async function endSession(
  ctx: Deps,
  who: Actor & { userId: string; anyone: boolean },
  id: string,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  const session = await getSession(db, who.tenantId, id);
  if (!session || (session.userId !== who.userId && !who.anyone)) throw problems.notFound("session");
  await db.batch([
    deleteSession(db, who.tenantId, id),
    auditInsert(db, {
      tenantId: who.tenantId,
      actor: who.actor,
      ip: who.ip,
      userAgent: who.userAgent,
      at: nowMs,
      action: "session.end",
      targetType: "session",
      targetId: id,
      detail: { user: session.userId },
    }),
  ]);
}
