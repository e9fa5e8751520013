/**
 * Console sessions: a random 256-bit id in an HttpOnly cookie, stored only as its keyed hash. A session
 * ends after 30 idle minutes (last_seen_at slides, written at most once a minute) or 12 hours in all.
 * It is read from the D1 primary on every request with no cache, so ending one takes effect at once.
 * During a SECRET_PEPPER rotation the lookup also accepts the hash under the previous pepper (same query).
 */
import { getConfig, type Env } from "../config";
import { randomToken } from "../crypto/encoding";
import { keyedHash, newId } from "../crypto/secrets";
import { primaryDb } from "../storage/db";
import type { SessionRow, UserRow } from "../storage/schema-console";
import { deleteSession, findSession, touchSession } from "../storage/sessions";
import { acceptedHashes } from "./pepper-rotation";

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
const TOUCH_INTERVAL_MS = 60_000;

/** `__Host-` cookies need Secure, which browsers ignore on plain-http origins (local development). */
export function sessionCookieName(issuer: string): string {
  return issuer.startsWith("https://") ? "__Host-latchkey_session" : "latchkey_session";
}

/** The Set-Cookie value for a session (maxAgeSeconds 0 clears it). */
export function sessionCookie(issuer: string, value: string, maxAgeSeconds: number): string {
  const secure = issuer.startsWith("https://") ? "; Secure" : "";
  return `${sessionCookieName(issuer)}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** When the session stops working if nothing happens: the idle deadline or the absolute one. */
export function sessionExpiry(s: Pick<SessionRow, "lastSeenAt" | "expiresAt">): number {
  return Math.min(s.lastSeenAt + SESSION_IDLE_MS, s.expiresAt);
}

export const hashSessionToken = (env: Env, token: string) => keyedHash(getConfig(env).secretPepper, `session:${token}`);

/** A new session row for `user` and the cookie value that names it; the caller inserts the row in its batch. */
export async function newSession(env: Env, user: Pick<UserRow, "id" | "tenantId">, ip: string | null, userAgent: string | null, nowMs: number) {
  const token = randomToken(32);
  const row: SessionRow = {
    id: newId("ses"),
    tokenHash: await hashSessionToken(env, token),
    tenantId: user.tenantId,
    userId: user.id,
    userAgent: userAgent?.slice(0, 512) ?? null,
    ip,
    createdAt: nowMs,
    lastSeenAt: nowMs,
    expiresAt: nowMs + SESSION_ABSOLUTE_MS,
  };
  return { row, token };
}

/** The live session named by a cookie value and its user; expired sessions are deleted and give null. */
export async function resolveSession(env: Env, token: string, nowMs: number): Promise<{ session: SessionRow; user: UserRow } | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const db = primaryDb(env.DB);
  const found = await findSession(db, await acceptedHashes(env, `session:${token}`));
  if (!found) return null;
  if (nowMs >= sessionExpiry(found.session)) {
    await deleteSession(db, found.session.tenantId, found.session.id).run();
    return null;
  }
  if (nowMs - found.session.lastSeenAt >= TOUCH_INTERVAL_MS) {
    await touchSession(db, found.session.id, nowMs);
    found.session.lastSeenAt = nowMs;
  }
  return found;
}
