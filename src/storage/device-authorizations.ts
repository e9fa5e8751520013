/**
 * Repository for device authorizations (RFC 8628). Every change of state is one guarded UPDATE whose WHERE
 * names the state it expects, on the D1 primary: D1 runs statements one at a time, so of two concurrent
 * polls, decisions or redemptions exactly one changes the row, and the caller reads `meta.changes`.
 */
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { deviceAuthorizations, type DeviceAuthorizationRow } from "./schema-console";

export function insertDeviceAuthorization(db: Db, row: DeviceAuthorizationRow) {
  return db.insert(deviceAuthorizations).values(row);
}

/** The authorization whose device code has this hash. */
export function findByDeviceCode(db: Db, deviceCodeHash: string): Promise<DeviceAuthorizationRow | undefined> {
  return db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.deviceCodeHash, deviceCodeHash)).get();
}

/** The authorization whose user code has this hash. */
export function findByUserCode(db: Db, userCodeHash: string): Promise<DeviceAuthorizationRow | undefined> {
  return db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.userCodeHash, userCodeHash)).get();
}

/**
 * Records a poll in one statement: on time, it moves last_polled_at to `nowMs`; too early, it leaves it
 * and adds `stepSeconds` to the interval (RFC 8628 section 3.5). Returns the row after the change.
 */
export function recordPoll(
  db: Db,
  id: string,
  nowMs: number,
  graceMs: number,
  stepSeconds: number,
): Promise<DeviceAuthorizationRow | undefined> {
  const d = deviceAuthorizations;
  const early = sql`(${d.lastPolledAt} is not null and ${nowMs} - ${d.lastPolledAt} < ${d.intervalSeconds} * 1000 - ${graceMs})`;
  return db
    .update(d)
    .set({
      intervalSeconds: sql`case when ${early} then ${d.intervalSeconds} + ${stepSeconds} else ${d.intervalSeconds} end`,
      lastPolledAt: sql`case when ${early} then ${d.lastPolledAt} else ${nowMs} end`,
    })
    .where(eq(d.id, id))
    .returning()
    .get();
}

/** Approves or denies a pending, unexpired authorization for `user`; changes nothing otherwise. */
export function decide(
  db: Db,
  id: string,
  decision: "approved" | "denied",
  user: { tenantId: string; userId: string },
  nowMs: number,
) {
  const d = deviceAuthorizations;
  return db
    .update(d)
    .set({ status: decision, tenantId: user.tenantId, userId: user.userId, decidedAt: nowMs })
    .where(and(eq(d.id, id), eq(d.status, "pending"), gt(d.expiresAt, nowMs)));
}

/** Marks an approved, unexpired authorization redeemed: the single redemption's guard. */
export function markRedeemed(db: Db, id: string, nowMs: number) {
  const d = deviceAuthorizations;
  return db
    .update(d)
    .set({ status: "redeemed" })
    .where(and(eq(d.id, id), eq(d.status, "approved"), gt(d.expiresAt, nowMs)));
}

/** Deletes authorizations expired before `beforeMs`, so user codes are not kept (cron). */
export function pruneDeviceAuthorizations(db: Db, beforeMs: number): Promise<unknown> {
  const d = deviceAuthorizations;
  return db.delete(d).where(lt(d.expiresAt, beforeMs)).run();
}
