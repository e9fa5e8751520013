/**
 * People's authentication for the admin API: the console session cookie, or (when ACCESS_TEAM_DOMAIN and
 * ACCESS_AUD are set) a verified Cloudflare Access assertion naming an existing member by email. Access
 * never creates accounts: an owner invites the person first. Both read the person from the D1 primary on
 * every request, so a role change, removal or ended session applies on the next request.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../context";
import { verifyAccessJwt } from "../crypto/access-jwt";
import { userActor } from "../domain/actors";
import type { PersonPrincipal } from "../domain/principals";
import { scopesOfRole } from "../domain/roles";
import type { SessionRow, UserRow } from "../storage/schema-console";
import { personByEmail } from "../services/people";
import { resolveSession, sessionCookieName } from "../services/sessions";
import { ctxOf } from "./request-context";

function principalOf(user: UserRow, auth: PersonPrincipal["auth"], session: SessionRow | null): PersonPrincipal {
  return {
    kind: "person",
    tenantId: user.tenantId,
    actor: userActor(user.email),
    user,
    auth,
    session,
    scopes: new Set(scopesOfRole(user.role)),
  };
}

/** The session cookie's value, if the request carries one. */
export function sessionToken(c: Context<AppEnv>): string | undefined {
  return getCookie(c, sessionCookieName(ctxOf(c).config.issuer));
}

/** The person behind the session cookie, or null. */
export async function personFromSession(c: Context<AppEnv>, nowMs: number): Promise<PersonPrincipal | null> {
  const token = sessionToken(c);
  if (!token) return null;
  const found = await resolveSession(ctxOf(c), token, nowMs);
  return found ? principalOf(found.user, "session", found.session) : null;
}

/** The member named by a valid Cloudflare Access assertion, or null (also when Access is not configured). */
export async function personFromAccess(c: Context<AppEnv>): Promise<PersonPrincipal | null> {
  const ctx = ctxOf(c);
  const access = ctx.config.access;
  const assertion = c.req.header("cf-access-jwt-assertion");
  if (!access || !assertion) return null;
  const email = await verifyAccessJwt(assertion, access);
  if (!email) return null;
  const user = await personByEmail(ctx, email);
  return user ? principalOf(user, "access", null) : null;
}
