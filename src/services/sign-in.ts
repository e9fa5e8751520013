/**
 * Password sign-in and sign-out, throttled in D1 before any PBKDF2 work: one batch decides and counts each
 * attempt atomically (src/storage/sign-in-throttles.ts), so concurrent guesses cannot outrun a limit.
 * Limits, in fixed 15-minute windows: 5 failures per (account, source) and 20 per source refuse that source
 * (right password included, it is the guesser's); an account's failures from all sources never lock it, but
 * beyond 10 it admits one attempt per 2-second slot, so a stranger can slow the owner by seconds, not lock
 * them out. A source is an IPv4 address or an IPv6 /64. The Rate Limiting binding is per location and
 * approximate; D1's single primary gives one global, exact count for one round trip per attempt.
 */
import type { RequestContext } from "../context";
import { burnPasswordCheck, verifyPassword } from "../crypto/passwords";
import { keyedHash } from "../crypto/secrets";
import { userActor } from "../domain/actors";
import { ProblemError, problems } from "../domain/errors";
import { DEFAULT_TENANT_ID } from "../domain/management";
import { requestSource } from "../domain/request-source";
import { auditInsert } from "../storage/audit";
import { findUserByEmail, markSignedIn } from "../storage/people";
import type { SessionRow, UserRow } from "../storage/schema-console";
import { deleteSession, insertSession } from "../storage/sessions";
import { admitAttempt, refundAttempt, type ThrottleKeys, type ThrottleLimits } from "../storage/sign-in-throttles";
import { newSession } from "./sessions";

export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_PAIR = 5;
export const MAX_FAILURES_PER_SOURCE = 20;
export const ACCOUNT_SLOWDOWN_AFTER = 10;
export const SLOWDOWN_SLOT_MS = 2_000;

/** What sign-in uses: the D1 primary, the pepper (config) and the logger. */
type Deps = Pick<RequestContext, "db" | "config" | "log">;

const LIMITS: ThrottleLimits = {
  windowMs: THROTTLE_WINDOW_MS,
  pair: MAX_FAILURES_PER_PAIR,
  source: MAX_FAILURES_PER_SOURCE,
  slowAfter: ACCOUNT_SLOWDOWN_AFTER,
  slotMs: SLOWDOWN_SLOT_MS,
};

/** Where a request came from, for sessions and the audit log. */
export interface RequestFacts {
  ip: string | null;
  userAgent: string | null;
}

export const invalidCredentials = () => new ProblemError("invalid_credentials", "The email or password is incorrect.");

async function throttleKeys(
  ctx: Pick<RequestContext, "config">,
  email: string,
  ip: string | null,
): Promise<ThrottleKeys> {
  const pepper = ctx.config.secretPepper;
  const source = requestSource(ip ?? undefined);
  const [pair, address, account, slot] = await Promise.all(
    [`pair:${email}|${source}`, `ip:${source}`, `account:${email}`, `slot:${email}`].map((k) =>
      keyedHash(pepper, `throttle:${k}`),
    ),
  );
  return { pair: pair!, source: address!, account: account!, slot: slot! };
}

/**
 * Checks email and password and opens a session. Unknown emails and wrong passwords fail alike, after the
 * same PBKDF2 work. A refused attempt (429 with Retry-After) is not evaluated, even with the right password.
 */
export async function signIn(ctx: Deps, email: string, password: string, facts: RequestFacts, nowMs: number) {
  const { db } = ctx;
  const keys = await throttleKeys(ctx, email, facts.ip);
  const admission = await admitAttempt(db, keys, LIMITS, nowMs);
  if (!admission.admitted) {
    const windowMs = admission.by === "slot" ? SLOWDOWN_SLOT_MS : THROTTLE_WINDOW_MS;
    throw problems.rateLimited(Math.max(1, Math.ceil((admission.row.windowStart + windowMs - nowMs) / 1000)));
  }

  const user = await findUserByEmail(db, email);
  const check = user?.passwordHash
    ? await verifyPassword(password, user.passwordHash)
    : await burnPasswordCheck(password);
  if (check === "unsupported") ctx.log.error("password_hash_unsupported", { user: user?.id });
  if (check !== "match" || !user) {
    const reason = !user
      ? "unknown_account"
      : !user.passwordHash
        ? "no_password"
        : check === "unsupported"
          ? "unsupported_hash"
          : "wrong_password";
    await auditInsert(db, {
      tenantId: user?.tenantId ?? DEFAULT_TENANT_ID,
      actor: userActor(email),
      action: "auth.sign_in.failure",
      targetType: "user",
      targetId: user?.id,
      ip: facts.ip,
      userAgent: facts.userAgent,
      detail: { reason },
      at: nowMs,
    });
    throw invalidCredentials();
  }

  const { row, token } = await newSession(ctx, user, facts.ip, facts.userAgent, nowMs);
  await db.batch([
    insertSession(db, row),
    markSignedIn(db, user.id, nowMs),
    ...refundAttempt(db, keys.pair, admission.counted),
    auditInsert(db, {
      tenantId: user.tenantId,
      actor: userActor(user.email),
      action: "auth.sign_in",
      targetType: "session",
      targetId: row.id,
      ip: facts.ip,
      userAgent: facts.userAgent,
      detail: { method: "password" },
      at: nowMs,
    }),
  ]);
  return { user: { ...user, lastSignInAt: nowMs }, session: row, token };
}

/** Ends the caller's own session (sign-out). */
export async function signOut(
  ctx: Pick<RequestContext, "db">,
  session: SessionRow,
  user: UserRow,
  facts: RequestFacts,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  await db.batch([
    deleteSession(db, session.tenantId, session.id),
    auditInsert(db, {
      tenantId: user.tenantId,
      actor: userActor(user.email),
      action: "auth.sign_out",
      targetType: "session",
      targetId: session.id,
      ip: facts.ip,
      userAgent: facts.userAgent,
      at: nowMs,
    }),
  ]);
}
