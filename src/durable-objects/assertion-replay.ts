/**
 * One Durable Object per client_id that remembers the `jti` of every client assertion it accepted until the
 * assertion has expired (RFC 7523 section 3, RFC 7521 section 4.2: a jti is refused if seen again). KV
 * cannot compare-and-set and is eventually consistent, so it could not refuse a replay sent to another
 * location a second later; this object is strongly consistent, and the check-and-insert is one synchronous
 * SQLite step. An alarm purges expired entries; the object remembers when its alarm is due, so an accepted jti
 * costs one synchronous insert and no storage round trip unless it must bring the alarm forward. Trade-off:
 * one object per client caps a single client at roughly the object's throughput (~1,000 assertions/s), far
 * above what a machine credential needs.
 */
import { DurableObject } from "cloudflare:workers";

export class AssertionReplay extends DurableObject<unknown> {
  /** When the alarm is due (null: none), as last read or set; undefined until read. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS seen_jti (jti TEXT PRIMARY KEY, keep_until INTEGER NOT NULL)");
  }

  /** Records `jti` until `keepUntilMs`; false when it was already recorded (a replay). */
  async remember(jti: string, keepUntilMs: number): Promise<boolean> {
    const inserted = this.ctx.storage.sql
      .exec(
        "INSERT INTO seen_jti (jti, keep_until) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING RETURNING 1",
        jti,
        keepUntilMs,
      )
      .toArray();
    if (inserted.length === 0) return false;
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > keepUntilMs) {
      await this.ctx.storage.setAlarm(keepUntilMs);
      this.alarmAt = keepUntilMs;
    }
    return true;
  }

  /** How many jti values are held (for tests and diagnostics). */
  async size(): Promise<number> {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM seen_jti").one().n;
  }

  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM seen_jti WHERE keep_until <= ?", Date.now());
    const next = sql.exec<{ at: number | null }>("SELECT min(keep_until) AS at FROM seen_jti").one().at;
    if (next !== null) await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }
}

/** Records a client's assertion jti; false when it is a replay. */
export function rememberAssertion(
  ns: DurableObjectNamespace<AssertionReplay>,
  clientId: string,
  jti: string,
  keepUntilMs: number,
): Promise<boolean> {
  return ns.get(ns.idFromName(clientId)).remember(jti, keepUntilMs);
}
