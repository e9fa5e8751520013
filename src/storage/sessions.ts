/** Repository for console sessions. Rows are looked up by the keyed hash of the cookie value, on the primary. */
import { and, asc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Db } from "./db";
import { sessions, users, type SessionRow, type UserRow } from "./schema-console";

export function insertSession(db: Db, row: SessionRow) {
  return db.insert(sessions).values(row);
}

/** The session whose token hash is one of `tokenHashes` (one per accepted pepper) and its user, if both exist. */
export async function findSession(
  db: Db,
  tokenHashes: string[],
): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const row = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(inArray(sessions.tokenHash, tokenHashes))
    .get();
  return row ?? undefined;
}

export function getSession(db: Db, tenantId: string, id: string): Promise<SessionRow | undefined> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id)))
    .get();
}

export function touchSession(db: Db, id: string, at: number): Promise<unknown> {
  return db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id)).run();
}

export function deleteSession(db: Db, tenantId: string, id: string) {
  return db.delete(sessions).where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id)));
}

export function deleteUserSessions(db: Db, tenantId: string, userId: string, onlyIf?: SQL) {
  return db.delete(sessions).where(and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId), onlyIf));
}

/** Sessions of a tenant (or of one of its users) with their person's email and name, oldest first. */
export function listSessions(db: Db, tenantId: string, userId?: string) {
  const where = userId
    ? and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId))
    : eq(sessions.tenantId, tenantId);
  return db
    .select({ session: sessions, email: users.email, name: users.name })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(where)
    .orderBy(asc(sessions.createdAt))
    .all();
}

/** Deletes sessions past their absolute expiry or idle for longer than `idleMs` (cron). */
export function pruneSessions(db: Db, nowMs: number, idleMs: number): Promise<unknown> {
  return db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, nowMs), lt(sessions.lastSeenAt, nowMs - idleMs)))
    .run();
}

/** Makes `tenantId` the session's active tenant (a switch, or a claim that adds a membership). */
export function setSessionTenant(db: Db, id: string, tenantId: string) {
  return db.update(sessions).set({ tenantId }).where(eq(sessions.id, id));
}

/**
 * A switch: makes `tenantId` the session's active tenant only while its person belongs there (at home or by
 * membership), checked in the statement, so a removal that lands first leaves the session where it was.
 */
export function switchSessionTenant(db: Db, id: string, tenantId: string) {
  const belongs = sql`(exists (select 1 from users as home where home.id = "sessions"."user_id" and home.tenant_id = ${tenantId}) or exists (select 1 from memberships as member where member.user_id = "sessions"."user_id" and member.tenant_id = ${tenantId}))`;
  return db
    .update(sessions)
    .set({ tenantId })
    .where(and(eq(sessions.id, id), belongs));
}
