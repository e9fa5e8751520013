/**
 * One Durable Object per setup code (named by the code's keyed hash, never by the code). It holds what the
 * code will provision and consumes it atomically: between the check and the consume there is no await of
 * anything but this object's own storage, and the input gate keeps concurrent redemptions in order, so
 * exactly one wins. A consumed code is kept (as consumed) until it would have expired, so a replay is
 * recognised and can be audited; an alarm then deletes everything. The delivery mode is fixed when the code
 * is issued: a live code redeemed in another mode is refused without being consumed.
 */
import { DurableObject } from "cloudflare:workers";
import { log } from "../log";

export interface SetupCodeRecord {
  tenantId: string;
  credentialId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** How the code delivers (set by the admin at issue); absent on records made before modes were fixed: key. */
  mode?: SetupMode;
}

export type SetupMode = "key" | "secret";

export type RedeemOutcome =
  | { ok: true; record: SetupCodeRecord }
  | { ok: false; reason: "unknown" | "expired" | "replayed" | "mode_mismatch"; record?: SetupCodeRecord };

const RECORD_KEY = "record";

export class SetupCode extends DurableObject<unknown> {
  /** Stores a fresh code's record and schedules its deletion at expiry. Refuses to overwrite. */
  async create(record: Omit<SetupCodeRecord, "consumedAt">): Promise<boolean> {
    if (await this.ctx.storage.get(RECORD_KEY)) return false;
    await this.ctx.storage.put(RECORD_KEY, { ...record, consumedAt: null } satisfies SetupCodeRecord);
    await this.ctx.storage.setAlarm(record.expiresAt);
    return true;
  }

  /** Consumes the code if it is live and `mode` is its mode. Exactly one concurrent caller gets `ok: true`. */
  async redeem(nowMs: number, mode?: SetupMode): Promise<RedeemOutcome> {
    const record = await this.ctx.storage.get<SetupCodeRecord>(RECORD_KEY);
    if (!record) return { ok: false, reason: "unknown" };
    if (record.consumedAt !== null) return { ok: false, reason: "replayed", record };
    if (record.expiresAt <= nowMs) return { ok: false, reason: "expired", record };
    if (mode !== undefined && mode !== (record.mode ?? "key")) return { ok: false, reason: "mode_mismatch", record };
    const consumed = { ...record, consumedAt: nowMs };
    await this.ctx.storage.put(RECORD_KEY, consumed);
    return { ok: true, record: consumed };
  }

  /** Puts a consumed code back when the step after it failed, so the holder can retry. */
  async release(consumedAt: number): Promise<void> {
    const record = await this.ctx.storage.get<SetupCodeRecord>(RECORD_KEY);
    if (record && record.consumedAt === consumedAt)
      await this.ctx.storage.put(RECORD_KEY, { ...record, consumedAt: null });
  }

  /** Cancels a code (its credential was revoked, or a newer code replaced it). */
  async cancel(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  /** What the record says now, without consuming it (for status views). */
  async peek(): Promise<SetupCodeRecord | null> {
    return (await this.ctx.storage.get<SetupCodeRecord>(RECORD_KEY)) ?? null;
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/** The object of one code, named by the code's keyed hash (never by the code, never a global object). */
export function setupCodeObject(ns: DurableObjectNamespace<SetupCode>, codeHash: string): DurableObjectStub<SetupCode> {
  return ns.get(ns.idFromName(codeHash));
}

/** Cancels the objects of codes that were replaced or whose credential was revoked. Best effort: D1 also marks them. */
export async function cancelSetupCodeObjects(
  ns: DurableObjectNamespace<SetupCode>,
  codeHashes: string[],
): Promise<void> {
  const results = await Promise.allSettled(codeHashes.map((hash) => setupCodeObject(ns, hash).cancel()));
  for (const r of results) {
    if (r.status === "rejected") log.error("setup_code_cancel_failed", { error: String(r.reason) });
  }
}
