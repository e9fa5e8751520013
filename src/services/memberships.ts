/**
 * A person in several tenants: their home tenant (users.tenant_id) and memberships of others. A session is
 * active in one of them (sessions.tenant_id); switching is checked here against the person's own rows, and
 * audited in both tenants in the same batch as the change. A signed-in person may claim another tenant's
 * first-owner link, which makes them its owner by membership (the link is stamped used in the same batch,
 * so it works once, and only while that tenant has no owner). Someone invited by the email of their existing
 * account joins the same way, once signed in as it, with the invitation's role (claimed in the same batch).
 */
import type { RequestContext } from "../context";
import { SYSTEM_ACTORS, userActor } from "../domain/actors";
import { ProblemError, problems } from "../domain/errors";
import { isOwnerLinkUsable } from "../domain/invitation-rules";
import { auditInsert, auditInsertIf, previousStatementChanged } from "../storage/audit";
import { isForeignKeyViolation, isNotNullViolation, isUniqueViolation } from "../storage/errors";
import { findMember, insertClaimedMembership, insertInvitedMembership, tenantsOfUser } from "../storage/memberships";
import { claimInvitation, claimOwnerToken, countOwners, findOwnerToken, getUserById } from "../storage/people";
import type { SessionRow, UserRow } from "../storage/schema-console";
import { setSessionTenant, switchSessionTenant } from "../storage/sessions";
import { acceptedHashes } from "./pepper-rotation";
import { alreadyMember, invalidInvitation, pendingInvitation } from "./people";
import type { RequestFacts } from "./sign-in";

type Deps = Pick<RequestContext, "db" | "config" | "env">;

/** A signed-in person with the session the change applies to. */
export interface SessionPerson {
  user: UserRow;
  session: SessionRow;
}

const invalidSetupToken = () => new ProblemError("invalid_setup_token", "This setup link is unknown, used or expired.");
const ownerExists = () => new ProblemError("owner_exists", "This tenant already has an owner.");

/** The person as seen in `tenantId`: their home row, or with the membership's tenant and role; undefined if not a member. */
export async function personInTenant(ctx: Pick<RequestContext, "db">, user: UserRow, tenantId: string) {
  return (await findMember(ctx.db, tenantId, user.id))?.user;
}

/** The tenants the person may switch to, home first, with their role in each. */
export async function tenantsOf(ctx: Pick<RequestContext, "db">, userId: string) {
  const home = await getUserById(ctx.db, userId);
  return home ? tenantsOfUser(ctx.db, home) : [];
}

/**
 * Makes `to` the session's active tenant; 404 unless the person belongs to it, also when a removal lands
 * between the check and the switch (the switch re-checks in its statement). Returns the person as seen there.
 */
export async function switchTenant(ctx: Deps, who: SessionPerson, to: string, facts: RequestFacts, nowMs: number) {
  const { db } = ctx;
  const home = await getUserById(db, who.user.id);
  const target = home ? await personInTenant(ctx, home, to) : undefined;
  if (!target) throw problems.notFound("tenant");
  const from = who.session.tenantId;
  if (from === to) return target;
  // Each event is written only if the statement before it wrote: the guarded switch, then the first event.
  const event = (tenantId: string) =>
    auditInsertIf(
      db,
      {
        tenantId,
        actor: userActor(target.email),
        action: "session.tenant.switch",
        targetType: "session",
        targetId: who.session.id,
        ...facts,
        detail: { from, to },
        at: nowMs,
      },
      previousStatementChanged(),
    );
  const [switched] = await db.batch([switchSessionTenant(db, who.session.id, to), event(from), event(to)]);
  if (switched.meta.changes === 0) throw problems.notFound("tenant");
  return target;
}

/**
 * A signed-in person claims a first-owner link of another tenant: they become its owner by membership and
 * their session switches to it. The link must be usable and the tenant without an owner.
 */
export async function claimOwnerLink(ctx: Deps, who: SessionPerson, token: string, facts: RequestFacts, nowMs: number) {
  const { db } = ctx;
  const link = await findOwnerToken(db, await acceptedHashes(ctx.config, `owner:${token}`));
  if (!link || !isOwnerLinkUsable(link, nowMs)) throw invalidSetupToken();
  if ((await countOwners(db, link.tenantId)) > 0) throw ownerExists();
  const userId = who.user.id;
  try {
    await db.batch([
      claimOwnerToken(db, link.id, link.tenantId, userId, nowMs),
      insertClaimedMembership(
        db,
        { userId, role: "owner", createdAt: nowMs, createdBy: SYSTEM_ACTORS.ownerLink },
        link.id,
      ),
      setSessionTenant(db, who.session.id, link.tenantId),
      auditInsert(db, {
        tenantId: link.tenantId,
        actor: userActor(who.user.email),
        action: "owner.link.claim",
        targetType: "user",
        targetId: userId,
        ...facts,
        detail: { email: who.user.email, link: link.id },
        at: nowMs,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyMember();
    if (isNotNullViolation(err)) throw invalidSetupToken();
    if (isForeignKeyViolation(err)) throw problems.unauthorized();
    throw err;
  }
  return { tenantId: link.tenantId };
}

/**
 * A signed-in person accepts an invitation sent to their account's email: they join its tenant by membership
 * with the invited role, and their session switches to it. Another person's session is refused (403), and
 * someone who already belongs there gets 409.
 */
export async function joinByInvitation(
  ctx: Deps,
  who: SessionPerson,
  token: string,
  facts: RequestFacts,
  nowMs: number,
) {
  const { db } = ctx;
  const inv = await pendingInvitation(ctx, token, nowMs);
  if (inv.email !== who.user.email)
    throw problems.forbidden("This invitation is for another email address: sign in with that one to accept it.");
  const userId = who.user.id;
  if (await findMember(db, inv.tenantId, userId)) throw alreadyMember();
  try {
    await db.batch([
      claimInvitation(db, inv.id, userId, nowMs),
      insertInvitedMembership(db, { userId, role: inv.role, createdAt: nowMs, createdBy: inv.createdBy }, inv.id),
      setSessionTenant(db, who.session.id, inv.tenantId),
      auditInsert(db, {
        tenantId: inv.tenantId,
        actor: userActor(who.user.email),
        action: "invitation.accept",
        targetType: "invitation",
        targetId: inv.id,
        ...facts,
        detail: { user: userId, role: inv.role, membership: true },
        at: nowMs,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyMember();
    if (isNotNullViolation(err)) throw invalidInvitation();
    if (isForeignKeyViolation(err)) throw problems.unauthorized();
    throw err;
  }
  return { tenantId: inv.tenantId, role: inv.role };
}
