/**
 * Repository for the admin-facing record of setup codes: the code's keyed hash (never the code), its
 * credential and what became of it. The Durable Object of the same hash does the atomic consume; these rows
 * only tell the admin API the state of a credential's latest code and let a redemption be checked against it.
 */
import { and, desc, eq, inArray, ne, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { credentials, setupCodes, type SetupCodeRow } from "./schema";

export function insertSetupCode(db: Db, row: typeof setupCodes.$inferInsert) {
  return db.insert(setupCodes).values(row);
}

export function getSetupCode(db: Db, codeHash: string): Promise<SetupCodeRow | undefined> {
  return db.select().from(setupCodes).where(eq(setupCodes.codeHash, codeHash)).get();
}

/** The credential's newest code, whatever its state. */
export function latestSetupCode(db: Db, tenantId: string, credentialId: string): Promise<SetupCodeRow | undefined> {
  return db
    .select()
    .from(setupCodes)
    .where(and(eq(setupCodes.tenantId, tenantId), eq(setupCodes.credentialId, credentialId)))
    .orderBy(desc(setupCodes.createdAt))
    .limit(1)
    .get();
}

/** Codes of a credential not yet claimed or cancelled (expired ones included: their objects may linger). */
export function pendingSetupCodes(db: Db, tenantId: string, credentialId: string): Promise<SetupCodeRow[]> {
  return db
    .select()
    .from(setupCodes)
    .where(
      and(
        eq(setupCodes.tenantId, tenantId),
        eq(setupCodes.credentialId, credentialId),
        eq(setupCodes.status, "pending"),
      ),
    )
    .all();
}

export function cancelSetupCodes(db: Db, codeHashes: string[], nowMs: number) {
  return db
    .update(setupCodes)
    .set({ status: "cancelled", cancelledAt: nowMs })
    .where(and(inArray(setupCodes.codeHash, codeHashes), eq(setupCodes.status, "pending")));
}

/**
 * Cancels every pending code of a credential but `keepHash`, decided when the statement runs (so of two
 * concurrent issues the later one wins), and only if `keepHash` was written. Returns the cancelled hashes.
 */
export function cancelOtherPendingCodes(db: Db, credentialId: string, keepHash: string, nowMs: number) {
  return db
    .update(setupCodes)
    .set({ status: "cancelled", cancelledAt: nowMs })
    .where(
      and(
        eq(setupCodes.credentialId, credentialId),
        eq(setupCodes.status, "pending"),
        ne(setupCodes.codeHash, keepHash),
        sql`exists (select 1 from ${setupCodes} as kept where kept.code_hash = ${keepHash})`,
      ),
    )
    .returning({ codeHash: setupCodes.codeHash });
}

export interface SetupClaim {
  claimedAt: number;
  claimedIp: string | null;
  claimedHostname: string | null;
  mode: "key" | "secret";
  keyThumbprint: string | null;
  provisionedId: string;
}

/**
 * Marks a code claimed, if it is not cancelled and its credential is still active when the statement runs.
 * Idempotent: a retried redemption of the same code writes the same row again.
 */
export function markClaimed(db: Db, codeHash: string, claim: SetupClaim) {
  return db
    .update(setupCodes)
    .set({ status: "claimed", ...claim })
    .where(
      and(
        eq(setupCodes.codeHash, codeHash),
        inArray(setupCodes.status, ["pending", "claimed"]),
        sql`exists (select 1 from ${credentials} where ${credentials.id} = ${setupCodes.credentialId} and ${credentials.status} = 'active')`,
      ),
    );
}

/** SQL true when this very claim (its time and provisioned row) is recorded: the guard for what the claim adds. */
export function claimRecorded(codeHash: string, claim: SetupClaim): SQL {
  return sql`exists (select 1 from ${setupCodes} where ${setupCodes.codeHash} = ${codeHash} and ${setupCodes.status} = 'claimed' and ${setupCodes.claimedAt} = ${claim.claimedAt} and ${setupCodes.provisionedId} = ${claim.provisionedId})`;
}
