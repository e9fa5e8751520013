/**
 * Console sessions: a random 256-bit id in an HttpOnly cookie, stored only as its keyed hash. When one
 * ends (idle or absolute expiry) and when last_seen_at slides is decided in domain/session-rules.ts.
 * It is read from the D1 primary on every request with no cache, so ending one takes effect at once.
 * During a SECRET_PEPPER rotation the lookup also accepts the hash under the previous pepper (same query).
 * A session is active in one tenant (docs/realms.md): its person is returned as seen there, with that
 * tenant's role; a session whose membership is gone is ended.
 */
import type { RequestContext } from "../context";
import { randomToken } from "../crypto/encoding";
import { keyedHash, newId } from "../crypto/secrets";
import { isSessionOver, sessionDeadline, shouldTouchSession } from "../domain/session-rules";
import type { SessionRow, UserRow } from "../storage/schema-console";
import { getMembership } from "../storage/memberships";
import { deleteSession, findSession, touchSession } from "../storage/sessions";
import { acceptedHashes } from "./pepper-rotation";

/** What sessions use: the D1 primary and the pepper (config), and env for the previous pepper's hashes. */
type Deps = Pick<RequestContext, "db" | "config" | "env">;

/** `__Host-` cookies need Secure, which browsers ignore on plain-http origins (local development). */
export function sessionCookieName(issuer: string): string {
  return issuer.startsWith("https://") ? "__Host-latchkey_session" : "latchkey_session";
}

/** The Set-Cookie value for a session (maxAgeSeconds 0 clears it). */
export function sessionCookie(issuer: string, value: string, maxAgeSeconds: number): string {
  const secure = issuer.startsWith("https://") ? "; Secure" : "";
  return `${sessionCookieName(issuer)}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The keyed hash a session is stored and looked up by. */
export const hashSessionToken = (ctx: Pick<RequestContext, "config">, token: string) =>
  keyedHash(ctx.config.secretPepper, `session:${token}`);

/** A new session row for `user` and the cookie value that names it; the caller inserts the row in its batch. */
export async function newSession(
  ctx: Pick<RequestContext, "config">,
  user: Pick<UserRow, "id" | "tenantId">,
  ip: string | null,
  userAgent: string | null,
  nowMs: number,
) {
  const token = randomToken(32);
  const row: SessionRow = {
    id: newId("ses"),
    tokenHash: await hashSessionToken(ctx, token),
    tenantId: user.tenantId,
    userId: user.id,
    userAgent: userAgent?.slice(0, 512) ?? null,
    ip,
    createdAt: nowMs,
    lastSeenAt: nowMs,
    expiresAt: sessionDeadline(nowMs),
  };
  return { row, token };
}

/** The live session named by a cookie value and its user; expired sessions are deleted and give null. */
export async function resolveSession(
  ctx: Deps,
  token: string,
  nowMs: number,
): Promise<{ session: SessionRow; user: UserRow } | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const { db } = ctx;
  const found = await findSession(db, await acceptedHashes(ctx.config, `session:${token}`));
  if (!found) return null;
  const { session, user } = found;
  const membership = session.tenantId === user.tenantId ? null : await getMembership(db, session.tenantId, user.id);
  if (isSessionOver(session, nowMs) || membership === undefined) {
    await deleteSession(db, session.tenantId, session.id).run();
    return null;
  }
  if (membership) found.user = { ...user, tenantId: membership.tenantId, role: membership.role };
  if (shouldTouchSession(found.session, nowMs)) {
    await touchSession(db, found.session.id, nowMs);
    found.session.lastSeenAt = nowMs;
  }
  return found;
}
