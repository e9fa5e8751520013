/**
 * Creating a tenant (a realm, docs/realms.md): by the operator behind BOOTSTRAP_TOKEN, with a one-time
 * first-owner link in the answer, or by self-service sign-up (SIGNUP_ENABLED) with the person signing up as
 * its owner. The tenant, its built-in resource, the owner's link or membership or account, a session and
 * the audit events are one db.batch: a taken id (UNIQUE) or a failure leaves nothing behind.
 */
import type { RequestContext } from "../context";
import { randomToken } from "../crypto/encoding";
import { hashPassword } from "../crypto/passwords";
import { keyedHash, newId } from "../crypto/secrets";
import { SYSTEM_ACTORS, userActor } from "../domain/actors";
import { ProblemError, problems } from "../domain/errors";
import { OWNER_LINK_TTL_MS } from "../domain/invitation-rules";
import { issuerFor } from "../domain/realms";
import { auditInsert } from "../storage/audit";
import { isForeignKeyViolation, isUniqueViolation } from "../storage/errors";
import { insertMembership } from "../storage/memberships";
import { findUserByEmail, insertOwnerToken, insertUser } from "../storage/people";
import type { UserRow } from "../storage/schema-console";
import { insertSession } from "../storage/sessions";
import { tenantInserts } from "../storage/tenants";
import { newSession } from "./sessions";
import type { RequestFacts } from "./sign-in";
import { builtinResource } from "./tenants";

type Deps = Pick<RequestContext, "db" | "config">;

/** A tenant to create: its slug (validated at the edge with domain/realms.ts) and display name. */
export interface NewTenant {
  id: string;
  name: string;
}

export const tenantExists = () => new ProblemError("tenant_exists", "A tenant with this id already exists.");
const emailTaken = () => new ProblemError("email_taken", "A person with this email already exists.");

async function runCreation(ctx: Deps, statements: Parameters<Deps["db"]["batch"]>[0]): Promise<void> {
  try {
    await ctx.db.batch(statements);
  } catch (err) {
    if (isUniqueViolation(err) && String(err).includes("tenants.id")) throw tenantExists();
    if (isUniqueViolation(err)) throw emailTaken();
    // A signed-in owner whose account was deleted after their session was read: they are no one now.
    if (isForeignKeyViolation(err)) throw problems.unauthorized();
    throw err;
  }
}

const tenantRows = (ctx: Deps, t: NewTenant, nowMs: number) =>
  tenantInserts(ctx.db, { id: t.id, name: t.name, createdAt: nowMs }, builtinResource(t.id, nowMs));

/** Operator creation: the tenant and a first-owner link (1 hour), whose URL is returned once. */
export async function createTenantWithOwnerLink(ctx: Deps, t: NewTenant, facts: RequestFacts, nowMs: number) {
  const { db } = ctx;
  const token = randomToken(32);
  const linkId = newId("own");
  const expiresAt = nowMs + OWNER_LINK_TTL_MS;
  const issuer = issuerFor(ctx.config, t.id);
  const actor = SYSTEM_ACTORS.bootstrap;
  await runCreation(ctx, [
    ...tenantRows(ctx, t, nowMs),
    insertOwnerToken(db, {
      id: linkId,
      tenantId: t.id,
      tokenHash: await keyedHash(ctx.config.secretPepper, `owner:${token}`),
      createdAt: nowMs,
      createdBy: actor,
      expiresAt,
    }),
    auditInsert(db, {
      tenantId: t.id,
      actor,
      action: "tenant.create",
      targetType: "tenant",
      targetId: t.id,
      ...facts,
      detail: { name: t.name, issuer, via: "operator" },
      at: nowMs,
    }),
    auditInsert(db, {
      tenantId: t.id,
      actor,
      action: "owner.link.create",
      targetType: "owner_link",
      targetId: linkId,
      ...facts,
      at: nowMs,
    }),
  ]);
  return {
    tenant: { ...t, createdAt: nowMs },
    issuer,
    ownerLink: { url: `${ctx.config.issuer}/#/setup-owner?token=${token}`, expiresAt },
  };
}

/**
 * Self-service sign-up: the tenant with `owner` as its owner. A signed-in person (`owner.user`) becomes its
 * owner by membership; a newcomer gets an account whose home is the new tenant. Either way a new session,
 * active in the new tenant, is returned with its cookie value.
 */
export async function signUpTenant(
  ctx: Deps,
  t: NewTenant,
  owner: { user: UserRow } | { email: string; name: string; password: string },
  facts: RequestFacts,
  nowMs: number,
) {
  const { db } = ctx;
  const issuer = issuerFor(ctx.config, t.id);
  let user: UserRow;
  const personRows = [];
  if ("user" in owner) {
    user = owner.user;
    personRows.push(
      insertMembership(db, {
        tenantId: t.id,
        userId: user.id,
        role: "owner",
        createdAt: nowMs,
        createdBy: SYSTEM_ACTORS.signup,
      }),
    );
  } else {
    if (await findUserByEmail(db, owner.email)) throw emailTaken();
    user = {
      id: newId("usr"),
      tenantId: t.id,
      email: owner.email,
      name: owner.name,
      role: "owner",
      passwordHash: await hashPassword(owner.password),
      createdAt: nowMs,
      createdBy: SYSTEM_ACTORS.signup,
      lastSignInAt: nowMs,
    };
    personRows.push(insertUser(db, user));
  }
  const active: UserRow = { ...user, tenantId: t.id, role: "owner" };
  const session = await newSession(ctx, active, facts.ip, facts.userAgent, nowMs);
  await runCreation(ctx, [
    ...tenantRows(ctx, t, nowMs),
    ...personRows,
    insertSession(db, session.row),
    auditInsert(db, {
      tenantId: t.id,
      actor: userActor(user.email),
      action: "tenant.create",
      targetType: "tenant",
      targetId: t.id,
      ...facts,
      detail: { name: t.name, issuer, via: "signup" },
      at: nowMs,
    }),
  ]);
  return { tenant: { ...t, createdAt: nowMs }, issuer, user: active, token: session.token };
}
