/**
 * Sign-in throttle counters (`sign_in_throttles`), counted before any password work. One D1 batch per
 * attempt, which D1 runs as one transaction on its single primary: a first statement decides from the
 * counters as they stand whether the attempt may be evaluated and writes that decision to a scratch row; the
 * next ones count the attempt in every counter only when it was admitted, and the last deletes the scratch
 * row. Concurrent attempts are therefore serialized, the limit is exact, and a refused attempt counts nowhere
 * (so refusals cannot push anyone else over a limit).
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { signInThrottles as t, type SignInThrottleRow } from "./schema-console";

/** The four counters one attempt touches, as keyed hashes. */
export interface ThrottleKeys {
  /** The account from this source. */
  pair: string;
  /** This source, whatever the account. */
  source: string;
  /** The account, from every source. */
  account: string;
  /** The account's slowdown slot. */
  slot: string;
}

export interface ThrottleLimits {
  windowMs: number;
  pair: number;
  source: number;
  /** Failures of the account, from all sources, beyond which it admits one attempt per slot. */
  slowAfter: number;
  slotMs: number;
}

/** An admitted attempt with the counters it was counted in, or the counter that refused it. */
export type Admission =
  | { admitted: true; counted: { source: SignInThrottleRow; account: SignInThrottleRow } }
  | { admitted: false; by: "pair" | "source" | "slot"; row: SignInThrottleRow };

const REFUSED = 0;
const ADMITTED = 1;
const ADMITTED_IN_SLOT = 2;

function live(key: string, at: number, windowMs: number): SQL {
  return sql`coalesce((select s.failures from ${t} s where s.key = ${key} and s.window_start > ${at - windowMs}), 0)`;
}

/** Adds `increment` (0 or 1) to `key` in a fixed window that starts at its first counted attempt. */
function count(db: Db, key: string, at: number, windowMs: number, increment: SQL) {
  const restart = sql`(${t.windowStart} <= ${at - windowMs} or ${t.failures} = 0)`;
  return db
    .insert(t)
    .values({ key, windowStart: at, failures: increment })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        failures: sql`case when ${restart} then excluded.failures else ${t.failures} + excluded.failures end`,
        windowStart: sql`case when ${restart} then excluded.window_start else ${t.windowStart} end`,
      },
    })
    .returning();
}

/** Decides whether an attempt may be evaluated and, if so, counts it as a failure until it succeeds. */
export async function admitAttempt(db: Db, keys: ThrottleKeys, limits: ThrottleLimits, at: number): Promise<Admission> {
  const scratch = `attempt:${crypto.randomUUID()}`;
  const { windowMs } = limits;
  const decide = sql`case
    when ${live(keys.pair, at, windowMs)} >= ${limits.pair} or ${live(keys.source, at, windowMs)} >= ${limits.source} then ${REFUSED}
    when ${live(keys.account, at, windowMs)} < ${limits.slowAfter} then ${ADMITTED}
    when ${live(keys.slot, at, limits.slotMs)} < 1 then ${ADMITTED_IN_SLOT}
    else ${REFUSED} end`;
  const decision = sql`(select s.failures from ${t} s where s.key = ${scratch})`;
  const counted = sql`(${decision} > ${REFUSED})`;
  const [[verdict], [pair], [source], [account], [slot]] = await db.batch([
    db.insert(t).values({ key: scratch, windowStart: at, failures: decide }).returning({ value: t.failures }),
    count(db, keys.pair, at, windowMs, counted),
    count(db, keys.source, at, windowMs, counted),
    count(db, keys.account, at, windowMs, counted),
    count(db, keys.slot, at, limits.slotMs, sql`(${decision} = ${ADMITTED_IN_SLOT})`),
    db.delete(t).where(eq(t.key, scratch)),
  ]);
  if (verdict!.value !== REFUSED) return { admitted: true, counted: { source: source!, account: account! } };
  if (pair!.failures >= limits.pair) return { admitted: false, by: "pair", row: pair! };
  if (source!.failures >= limits.source) return { admitted: false, by: "source", row: source! };
  return { admitted: false, by: "slot", row: slot! };
}

/** Undoes a counted attempt that succeeded: the pair starts afresh; the source and the account give one back. */
export function refundAttempt(
  db: Db,
  pairKey: string,
  counted: { source: SignInThrottleRow; account: SignInThrottleRow },
) {
  const giveBack = (row: SignInThrottleRow) =>
    db
      .update(t)
      .set({ failures: sql`max(${t.failures} - 1, 0)` })
      .where(and(eq(t.key, row.key), eq(t.windowStart, row.windowStart)));
  return [db.delete(t).where(eq(t.key, pairKey)), giveBack(counted.source), giveBack(counted.account)] as const;
}

/** Deletes throttle rows whose window ended before `cutoff` (the hourly cron). */
export function pruneThrottles(db: Db, cutoff: number) {
  return db.delete(t).where(sql`${t.windowStart} < ${cutoff}`).run();
}
