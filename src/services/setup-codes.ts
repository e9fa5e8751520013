/**
 * Issuing setup codes: a credential created with `delivery: "setup_code"` gets one instead of a secret, and
 * an admin can make a new one for an active credential later (re-provision a machine, or rotate into it).
 * The code's object is created first and the D1 rows after, so a failed D1 write leaves only an object that
 * no credential row points to (redemption refuses it) and expires in ten minutes. A newer code cancels
 * the older unredeemed ones of the same credential, decided in its batch, so of concurrent issues the last
 * to commit stays pending. The admin fixes the delivery mode (key by default) when issuing; it is stored
 * with the code and redemption refuses any other. Only the keyed hash of a code is ever stored.
 */
import { assertAuthority } from "../domain/authority";
import { credentialStatus } from "../domain/credential-rules";
import { problems, ProblemError } from "../domain/errors";
import { issuerFor } from "../domain/realms";
import { keyedHash, newSetupCode } from "../crypto/secrets";
import { cancelSetupCodeObjects, setupCodeObject, type SetupMode } from "../durable-objects/setup-code";
import { auditInsert } from "../storage/audit";
import type { CredentialRow, SetupCodeRow } from "../storage/schema";
import { cancelOtherPendingCodes, insertSetupCode } from "../storage/setup-codes";
import {
  insertNewCredential,
  prepareCredential,
  type Actor,
  type CredentialDeps as Deps,
  type NewCredentialInput,
} from "./credentials";

/** Setup codes work once, for ten minutes. */
export const SETUP_CODE_TTL_MS = 600_000;

/** Unknown, expired, used and cancelled codes all get exactly this answer. */
export function invalidSetupCode(): ProblemError {
  return new ProblemError("invalid_setup_code", "The setup code is invalid, expired or already used.");
}

/** A live code redeemed in a mode other than the one it was issued for; the code stays unused. */
export function setupModeMismatch(expected: SetupMode): ProblemError {
  return new ProblemError(
    "setup_mode_mismatch",
    `This setup code was issued for ${expected} delivery; redeem it in ${expected} mode.`,
    {
      expectedMode: expected,
    },
  );
}

/** What the admin is shown once: the code, when it expires, and the command to run on the machine. */
export interface IssuedSetupCode {
  code: string;
  expiresAt: number;
  command: string;
  mode: SetupMode;
}

async function createCodeObject(ctx: Deps, who: Actor, credentialId: string, nowMs: number, mode: SetupMode) {
  const code = await newSetupCode();
  const codeHash = await keyedHash(ctx.config.secretPepper, code);
  const expiresAt = nowMs + SETUP_CODE_TTL_MS;
  const created = await setupCodeObject(ctx.setupCodes, codeHash).create({
    tenantId: who.tenantId,
    credentialId,
    createdBy: who.actor,
    createdAt: nowMs,
    expiresAt,
    mode,
  });
  // 128 random bits: a collision means the random source is broken, not bad luck.
  if (!created) throw new Error("setup code object already exists");
  const row: SetupCodeRow = {
    codeHash,
    credentialId,
    tenantId: who.tenantId,
    status: "pending",
    createdAt: nowMs,
    createdBy: who.actor,
    expiresAt,
    cancelledAt: null,
    claimedAt: null,
    claimedIp: null,
    claimedHostname: null,
    mode,
    keyThumbprint: null,
    provisionedId: null,
  };
  const flag = mode === "secret" ? " --secret" : "";
  const issued: IssuedSetupCode = {
    code,
    expiresAt,
    mode,
    command: `npx latchkey setup${flag} ${issuerFor(ctx.config, who.tenantId)} ${code}`,
  };
  return { row, issued };
}

/** Runs `write` after the code's object exists; cancels the object if the D1 write fails. */
async function withCodeObject(ctx: Deps, codeHash: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    await cancelSetupCodeObjects(ctx.setupCodes, [codeHash]);
    throw err;
  }
}

/** Creates a credential with no secret and a setup code that provisions its first secret or key. */
export async function createCredentialWithSetupCode(
  ctx: Deps,
  who: Actor,
  input: NewCredentialInput,
  mode: SetupMode,
  nowMs: number,
) {
  const prepared = await prepareCredential(ctx, who, input, nowMs);
  prepared.detail = { ...prepared.detail, delivery: "setup_code", mode };
  const { row, issued } = await createCodeObject(ctx, who, prepared.row.id, nowMs, mode);
  await withCodeObject(ctx, row.codeHash, () =>
    insertNewCredential(ctx, who, prepared, [insertSetupCode(ctx.db, row)], nowMs),
  );
  return { credential: prepared.row, setupCode: issued, setupRow: row };
}

/**
 * A new code for an existing active credential; older unredeemed codes stop working. Redemption adds a
 * secret or key next to the live ones (see setup-redemption.ts for the two-live limit).
 */
export async function issueSetupCode(ctx: Deps, who: Actor, credential: CredentialRow, mode: SetupMode, nowMs: number) {
  if (credentialStatus(credential, nowMs) !== "active")
    throw problems.conflict("Only an active credential can get a setup code.");
  // Redemption adds a secret or key without asking again, so the authority rule is applied here.
  assertAuthority(who.authority, credential.grants, "actFor");
  const { db } = ctx;
  const { row, issued } = await createCodeObject(ctx, who, credential.id, nowMs, mode);
  const detail = { expires_at: new Date(issued.expiresAt).toISOString(), mode };
  let replaced: string[] = [];
  await withCodeObject(ctx, row.codeHash, async () => {
    const [, cancelled] = await db.batch([
      insertSetupCode(db, row),
      cancelOtherPendingCodes(db, credential.id, row.codeHash, nowMs),
      auditInsert(db, {
        ...who,
        at: nowMs,
        action: "credential.setup_code.create",
        targetType: "credential",
        targetId: credential.id,
        detail,
      }),
    ]);
    replaced = cancelled.map((c) => c.codeHash);
  });
  await cancelSetupCodeObjects(ctx.setupCodes, replaced);
  return { setupCode: issued, setupRow: row };
}
