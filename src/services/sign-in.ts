/**
 * Password sign-in and sign-out. Failed attempts are counted in D1 per account (email, known or not) and per
 * IP in fixed 15-minute windows. The Rate Limiting binding is per location, approximate and cannot be read
 * without counting, so it cannot refuse a correct password during a lockout; D1 has one primary, so the
 * count is global, and it costs one indexed read per attempt plus one batch per failure.
 */
import { getConfig, type Env } from "../config";
import { burnPasswordCheck, verifyPassword } from "../crypto/passwords";
import { keyedHash } from "../crypto/secrets";
import { ProblemError, problems } from "../domain/errors";
import { auditInsert } from "../storage/audit";
import { primaryDb } from "../storage/db";
import { clearThrottle, findUserByEmail, getThrottles, markSignedIn, recordFailure } from "../storage/people";
import type { SessionRow, UserRow } from "../storage/schema-console";
import { deleteSession, insertSession } from "../storage/sessions";
import { DEFAULT_TENANT_ID } from "../storage/tenants";
import { newSession } from "./sessions";

export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_IP = 20;

/** Where a request came from, for sessions and the audit log. */
export interface RequestFacts {
  ip: string | null;
  userAgent: string | null;
}

export const invalidCredentials = () =>
  new ProblemError(401, "invalid_credentials", "Invalid credentials", "The email or password is incorrect.");

async function throttleKeys(env: Env, email: string, ip: string | null) {
  const pepper = getConfig(env).secretPepper;
  const [account, address] = await Promise.all([keyedHash(pepper, `throttle:account:${email}`), keyedHash(pepper, `throttle:ip:${ip ?? "unknown"}`)]);
  return { account, address };
}

/** Seconds until the caller may try again, or 0 when neither counter has reached its limit. */
async function lockedFor(env: Env, keys: { account: string; address: string }, nowMs: number): Promise<number> {
  const rows = await getThrottles(primaryDb(env.DB), [keys.account, keys.address]);
  let retryMs = 0;
  for (const row of rows) {
    const limit = row.key === keys.account ? MAX_FAILURES_PER_ACCOUNT : MAX_FAILURES_PER_IP;
    const windowEnds = row.windowStart + THROTTLE_WINDOW_MS;
    if (windowEnds > nowMs && row.failures >= limit) retryMs = Math.max(retryMs, windowEnds - nowMs);
  }
  return Math.ceil(retryMs / 1000);
}

/**
 * Checks email and password and opens a session. Unknown emails and wrong passwords fail alike, after the
 * same PBKDF2 work; while a counter is at its limit even the right password is refused with 429.
 */
export async function signIn(env: Env, email: string, password: string, facts: RequestFacts, nowMs: number) {
  const db = primaryDb(env.DB);
  const keys = await throttleKeys(env, email, facts.ip);
  const retryAfter = await lockedFor(env, keys, nowMs);
  if (retryAfter > 0) throw problems.rateLimited(retryAfter);

  const user = await findUserByEmail(db, email);
  const check = user?.passwordHash ? await verifyPassword(password, user.passwordHash) : await burnPasswordCheck(password);
  if (check === "unsupported") console.error(JSON.stringify({ event: "password_hash_unsupported", user: user?.id }));
  if (check !== "match" || !user) {
    const reason = !user ? "unknown_account" : !user.passwordHash ? "no_password" : check === "unsupported" ? "unsupported_hash" : "wrong_password";
    await db.batch([
      recordFailure(db, keys.account, nowMs, THROTTLE_WINDOW_MS),
      recordFailure(db, keys.address, nowMs, THROTTLE_WINDOW_MS),
      auditInsert(db, {
        tenantId: user?.tenantId ?? DEFAULT_TENANT_ID,
        actor: `user:${email}`,
        action: "auth.sign_in.failure",
        targetType: "user",
        targetId: user?.id,
        ip: facts.ip,
        userAgent: facts.userAgent,
        detail: { reason },
        at: nowMs,
      }),
    ]);
    throw invalidCredentials();
  }

  const { row, token } = await newSession(env, user, facts.ip, facts.userAgent, nowMs);
  await db.batch([
    insertSession(db, row),
    markSignedIn(db, user.id, nowMs),
    clearThrottle(db, keys.account),
    auditInsert(db, { tenantId: user.tenantId, actor: `user:${user.email}`, action: "auth.sign_in", targetType: "session", targetId: row.id, ip: facts.ip, userAgent: facts.userAgent, detail: { method: "password" }, at: nowMs }),
  ]);
  return { user: { ...user, lastSignInAt: nowMs }, session: row, token };
}

/** Ends the caller's own session (sign-out). */
export async function signOut(env: Env, session: SessionRow, user: UserRow, facts: RequestFacts, nowMs: number): Promise<void> {
  const db = primaryDb(env.DB);
  await db.batch([
    deleteSession(db, session.tenantId, session.id),
    auditInsert(db, { tenantId: user.tenantId, actor: `user:${user.email}`, action: "auth.sign_out", targetType: "session", targetId: session.id, ip: facts.ip, userAgent: facts.userAgent, at: nowMs }),
  ]);
}
