/**
 * Repository for device sessions and their refresh tokens. A rotation is a guarded UPDATE (the presented
 * token still unused) followed, in the same batch, by inserts that run only if it changed a row, so two
 * concurrent uses of one token cannot both get a successor. Ending a session deletes its tokens first
 * (they reference it).
 */
import { and, asc, eq, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { insertIf } from "./guarded-insert";
import { asMemberOf } from "./memberships";
import {
  deviceSessions,
  memberships,
  refreshTokens,
  users,
  type DeviceSessionRow,
  type RefreshTokenRow,
  type UserRow,
} from "./schema-console";

/** Joins a session's person to their membership of the session's tenant (none in their home tenant). */
const sessionMembership = and(
  eq(memberships.userId, deviceSessions.userId),
  eq(memberships.tenantId, deviceSessions.tenantId),
);

/** SQL true when the statement just before this one in the batch changed a row. */
const previousChanged = (): SQL => sql`changes() > 0`;

/** Inserts the session and its first refresh token, only if the statement before them changed a row. */
export function insertSessionIfPrevious(db: Db, session: DeviceSessionRow, token: RefreshTokenRow) {
  return [
    insertIf(db, deviceSessions, session, previousChanged()),
    insertIf(db, refreshTokens, token, previousChanged()),
  ] as const;
}

/** A refresh token by hash, with its session and the session's person as a member of its tenant (else undefined). */
export async function findRefreshToken(
  db: Db,
  tokenHashes: string[],
): Promise<{ token: RefreshTokenRow; session: DeviceSessionRow; user: UserRow } | undefined> {
  const row = await db
    .select({ token: refreshTokens, session: deviceSessions, user: users, role: memberships.role })
    .from(refreshTokens)
    .innerJoin(deviceSessions, eq(deviceSessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, deviceSessions.userId))
    .leftJoin(memberships, sessionMembership)
    .where(inArray(refreshTokens.tokenHash, tokenHashes))
    .get();
  const user = row && asMemberOf(row.user, row.session.tenantId, row.role);
  return user && { token: row.token, session: row.session, user };
}

/** The session of a person's access token, with the person: null once it has ended or the person is gone. */
export async function findDeviceSession(
  db: Db,
  tenantId: string,
  id: string,
): Promise<{ session: DeviceSessionRow; user: UserRow } | undefined> {
  const row = await db
    .select({ session: deviceSessions, user: users, role: memberships.role })
    .from(deviceSessions)
    .innerJoin(users, eq(users.id, deviceSessions.userId))
    .leftJoin(memberships, sessionMembership)
    .where(and(eq(deviceSessions.tenantId, tenantId), eq(deviceSessions.id, id)))
    .get();
  const user = row && asMemberOf(row.user, tenantId, row.role);
  return user && { session: row.session, user };
}

/**
 * The statements of one rotation: spend `usedHash` (only if unused), then insert its successor and touch
 * the session only if that changed a row. The first statement's `meta.changes` says whether it won.
 */
export function rotateRefreshToken(db: Db, usedHash: string, next: RefreshTokenRow, nowMs: number) {
  return [
    db
      .update(refreshTokens)
      .set({ usedAt: nowMs })
      .where(and(eq(refreshTokens.tokenHash, usedHash), isNull(refreshTokens.usedAt))),
    insertIf(db, refreshTokens, next, previousChanged()),
    db
      .update(deviceSessions)
      .set({ lastUsedAt: nowMs })
      .where(and(eq(deviceSessions.id, next.sessionId), previousChanged())),
  ] as const;
}

/** The statements that end a session: its refresh tokens, then the session. */
export function deleteDeviceSession(db: Db, tenantId: string, id: string) {
  return [
    db.delete(refreshTokens).where(and(eq(refreshTokens.tenantId, tenantId), eq(refreshTokens.sessionId, id))),
    db.delete(deviceSessions).where(and(eq(deviceSessions.tenantId, tenantId), eq(deviceSessions.id, id))),
  ] as const;
}

/**
 * The statements that end every device session of a person in a tenant (or in every tenant, for null), when
 * `onlyIf` holds (member removal).
 */
export function deleteUserDeviceSessions(db: Db, tenantId: string | null, userId: string, onlyIf: SQL) {
  const ofUser = sql`${refreshTokens.sessionId} in (select ${deviceSessions.id} from ${deviceSessions} where ${deviceSessions.userId} = ${userId})`;
  return [
    db
      .delete(refreshTokens)
      .where(and(tenantId === null ? undefined : eq(refreshTokens.tenantId, tenantId), ofUser, onlyIf)),
    db
      .delete(deviceSessions)
      .where(
        and(
          tenantId === null ? undefined : eq(deviceSessions.tenantId, tenantId),
          eq(deviceSessions.userId, userId),
          onlyIf,
        ),
      ),
  ] as const;
}

/** Device sessions of a tenant (or of one person), with each person's email and name, oldest first. */
export function listDeviceSessions(db: Db, tenantId: string, userId?: string) {
  const where = userId
    ? and(eq(deviceSessions.tenantId, tenantId), eq(deviceSessions.userId, userId))
    : eq(deviceSessions.tenantId, tenantId);
  return db
    .select({ session: deviceSessions, email: users.email, name: users.name })
    .from(deviceSessions)
    .innerJoin(users, eq(users.id, deviceSessions.userId))
    .where(where)
    .orderBy(asc(deviceSessions.createdAt))
    .all();
}

/** Deletes sessions past their absolute end, and their refresh tokens (cron). */
export function pruneDeviceSessions(db: Db, nowMs: number) {
  const ended = sql`${refreshTokens.sessionId} in (select ${deviceSessions.id} from ${deviceSessions} where ${deviceSessions.expiresAt} < ${nowMs})`;
  return db.batch([
    db.delete(refreshTokens).where(ended),
    db.delete(deviceSessions).where(lt(deviceSessions.expiresAt, nowMs)),
  ]);
}
