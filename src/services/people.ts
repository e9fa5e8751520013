/**
 * People in a tenant: the first owner (through a one-time link), invitations and their acceptance, and
 * ending sessions (role changes and removal: services/members.ts). Each change is one db.batch with its audit
 * event. One-time links (256-bit tokens, stored only as keyed hashes) are claimed inside that batch, so a link
 * works once even when two requests race (see storage/people.ts).
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
import { auditInsert } from "../storage/audit";
import { isNotNullViolation, isUniqueViolation } from "../storage/errors";
import * as people from "../storage/people";
import type { InvitationRow, UserRow } from "../storage/schema-console";
import { findMember } from "../storage/memberships";
import { deleteSession, getSession, insertSession } from "../storage/sessions";
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
