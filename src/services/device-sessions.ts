/**
 * Device sessions: what a person's approved device sign-in becomes (RFC 8628 section 3.5), and the rotating
 * refresh tokens that keep it (RFC 9700 section 4.14). Redemption and rotation are guarded statements on the
 * D1 primary with their inserts in the same batch, so a device code is redeemed once and a refresh token
 * has one successor. A spent refresh token presented again means it was copied: the whole session ends,
 * which the audit log records. Errors are the OAuth wire's (invalid_grant and the RFC 8628 polling errors).
 */
import type { RequestContext } from "../context";
import { isWellFormedDeviceCode, isWellFormedRefreshToken, newRefreshToken } from "../crypto/device-codes";
import { keyedHash, newId } from "../crypto/secrets";
import { ANONYMOUS_ACTOR, userActor } from "../domain/actors";
import { DEVICE_SESSION_MS, POLL_GRACE_MS, SLOW_DOWN_STEP_SECONDS } from "../domain/device-rules";
import { OAUTH_DESCRIPTIONS as D, OAuthError, type OAuthDescription } from "../domain/errors";
import { problems } from "../domain/problems";
import { auditInsert, auditInsertIf, previousStatementChanged } from "../storage/audit";
import { findByDeviceCode, markRedeemed, recordPoll } from "../storage/device-authorizations";
import {
  deleteDeviceSession,
  findDeviceSession,
  findRefreshToken,
  insertSessionIfPrevious,
  rotateRefreshToken,
} from "../storage/device-sessions";
import { findMember } from "../storage/memberships";
import type { DeviceSessionRow, RefreshTokenRow, UserRow } from "../storage/schema-console";
import type { Actor } from "./credentials";
import { hashDeviceCode } from "./device-authorization";
import { acceptedHashes } from "./pepper-rotation";

type Deps = Pick<RequestContext, "db" | "config" | "log">;

/** A live device session, its person and the refresh token just issued for it. */
export interface SessionGrant {
  session: DeviceSessionRow;
  user: UserRow;
  refreshToken: string;
}

const invalidGrant = (reason: string, description: OAuthDescription = D.invalidRefreshToken) =>
  new OAuthError("invalid_grant", description, { reason });

async function refreshRow(ctx: Pick<RequestContext, "config">, sessionId: string, tenantId: string, nowMs: number) {
  const token = await newRefreshToken();
  const row: RefreshTokenRow = {
    tokenHash: await keyedHash(ctx.config.secretPepper, `refresh:${token}`),
    sessionId,
    tenantId,
    createdAt: nowMs,
    usedAt: null,
  };
  return { token, row };
}

/**
 * One poll of the device access token request (RFC 8628 section 3.5): the polling errors while it is
 * pending, denied or expired, slow_down when too early; once approved, the single redemption that opens
 * the device session.
 */
export async function redeemDeviceCode(
  ctx: Deps,
  clientId: string,
  deviceCode: string,
  ip: string | null,
  nowMs: number,
): Promise<SessionGrant> {
  const { db } = ctx;
  const bad = (reason: string) => invalidGrant(reason, D.invalidDeviceCode);
  if (!(await isWellFormedDeviceCode(deviceCode))) throw bad("malformed device code");
  const row = await findByDeviceCode(db, await hashDeviceCode(ctx, deviceCode));
  if (!row || row.clientId !== clientId) throw bad("unknown device code or another client's");
  if (row.status === "redeemed") throw bad("device code already redeemed");
  if (row.expiresAt <= nowMs) throw new OAuthError("expired_token", D.deviceCodeExpired);
  if (row.status === "denied") throw new OAuthError("access_denied", D.deviceDenied);
  const polled = await recordPoll(db, row.id, nowMs, POLL_GRACE_MS, SLOW_DOWN_STEP_SECONDS);
  if (!polled) throw bad("device authorization vanished");
  if (polled.lastPolledAt !== nowMs) throw new OAuthError("slow_down", D.pollTooFast, { status: 400 });
  if (polled.status === "pending") throw new OAuthError("authorization_pending", D.authorizationPending);
  if (polled.status === "denied") throw new OAuthError("access_denied", D.deviceDenied);
  if (polled.status !== "approved" || !polled.tenantId || !polled.userId) throw bad("device code not redeemable");
  const user = (await findMember(db, polled.tenantId, polled.userId))?.user;
  if (!user) throw bad("the approving person is gone");
  const session: DeviceSessionRow = {
    id: newId("dvs"),
    tenantId: user.tenantId,
    userId: user.id,
    clientId,
    hostname: polled.hostname,
    ip,
    createdAt: nowMs,
    lastUsedAt: nowMs,
    expiresAt: nowMs + DEVICE_SESSION_MS,
  };
  const refresh = await refreshRow(ctx, session.id, session.tenantId, nowMs);
  const [redeemed] = await db.batch([
    markRedeemed(db, polled.id, nowMs),
    ...insertSessionIfPrevious(db, session, refresh.row),
    auditInsertIf(
      db,
      {
        tenantId: user.tenantId,
        actor: userActor(user.email),
        ip,
        at: nowMs,
        action: "auth.device_sign_in",
        targetType: "session",
        targetId: session.id,
        detail: { client_id: clientId, hostname: polled.hostname, authorization: polled.id },
      },
      previousStatementChanged(),
    ),
  ]);
  if (redeemed.meta.changes === 0) throw bad("device code redeemed concurrently or expired");
  return { session, user, refreshToken: refresh.token };
}

/** Ends a session whose spent refresh token came back (RFC 9700 section 4.14), audited in the same batch. */
async function endForReuse(ctx: Deps, session: DeviceSessionRow, ip: string | null, nowMs: number): Promise<void> {
  const { db } = ctx;
  await db.batch([
    ...deleteDeviceSession(db, session.tenantId, session.id),
    auditInsert(db, {
      tenantId: session.tenantId,
      actor: ANONYMOUS_ACTOR,
      ip,
      at: nowMs,
      action: "session.refresh_reuse",
      targetType: "session",
      targetId: session.id,
      detail: { user: session.userId, client_id: session.clientId },
    }),
  ]);
  ctx.log.info("refresh_token_reused", { session: session.id, user: session.userId, client_id: session.clientId });
}

/** The refresh_token grant: spends the token and returns its successor; a reused token ends the session. */
export async function rotateRefresh(
  ctx: Deps,
  clientId: string,
  refreshToken: string,
  ip: string | null,
  nowMs: number,
): Promise<SessionGrant> {
  const { db } = ctx;
  if (!(await isWellFormedRefreshToken(refreshToken))) throw invalidGrant("malformed refresh token");
  const found = await findRefreshToken(db, await acceptedHashes(ctx.config, `refresh:${refreshToken}`));
  if (!found || found.session.clientId !== clientId) throw invalidGrant("unknown refresh token or another client's");
  const { session, token, user } = found;
  if (session.expiresAt <= nowMs) {
    await db.batch([...deleteDeviceSession(db, session.tenantId, session.id)]);
    throw invalidGrant("device session expired");
  }
  if (token.usedAt !== null) {
    await endForReuse(ctx, session, ip, nowMs);
    throw invalidGrant("spent refresh token reused: session ended");
  }
  const next = await refreshRow(ctx, session.id, session.tenantId, nowMs);
  const [spent] = await db.batch([...rotateRefreshToken(db, token.tokenHash, next.row, nowMs)]);
  if (spent.meta.changes === 0) {
    await endForReuse(ctx, session, ip, nowMs);
    throw invalidGrant("refresh token used twice at once: session ended");
  }
  return { session: { ...session, lastUsedAt: nowMs }, user, refreshToken: next.token };
}

/** Signs a tool out with its refresh token (current or spent): the session ends. Unknown tokens change nothing. */
export async function signOutWithRefreshToken(
  ctx: Deps,
  clientId: string,
  refreshToken: string,
  facts: { ip: string | null; userAgent: string | null },
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  if (!(await isWellFormedRefreshToken(refreshToken))) return;
  const found = await findRefreshToken(db, await acceptedHashes(ctx.config, `refresh:${refreshToken}`));
  if (!found || found.session.clientId !== clientId) return;
  const { session, user } = found;
  await db.batch([
    ...deleteDeviceSession(db, session.tenantId, session.id),
    auditInsert(db, {
      tenantId: session.tenantId,
      actor: userActor(user.email),
      ...facts,
      at: nowMs,
      action: "auth.sign_out",
      targetType: "session",
      targetId: session.id,
    }),
  ]);
}

/** Ends a device session from the console: one's own, or anyone's for a caller allowed to. 404 otherwise. */
export async function endDeviceSession(
  ctx: Pick<RequestContext, "db">,
  who: Actor & { userId: string; anyone: boolean },
  id: string,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  const found = await findDeviceSession(db, who.tenantId, id);
  if (!found || (found.session.userId !== who.userId && !who.anyone)) throw problems.notFound("session");
  await db.batch([
    ...deleteDeviceSession(db, who.tenantId, id),
    auditInsert(db, {
      tenantId: who.tenantId,
      actor: who.actor,
      ip: who.ip,
      userAgent: who.userAgent,
      at: nowMs,
      action: "session.end",
      targetType: "session",
      targetId: id,
      detail: { user: found.session.userId },
    }),
  ]);
}

/** The live device session named by a person's access token, with the person; null once it has ended. */
export async function liveDeviceSession(ctx: Pick<RequestContext, "db">, tenantId: string, id: string, nowMs: number) {
  const found = await findDeviceSession(ctx.db, tenantId, id);
  return found && found.session.expiresAt > nowMs ? found : null;
}
