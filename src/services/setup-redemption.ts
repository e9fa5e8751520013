/**
 * Redeeming a setup code (POST /setup/redeem). The code's Durable Object consumes it atomically (only in the
 * mode the admin issued it for); the D1 batch that follows marks the code claimed and, only if that claim
 * was recorded (the code not cancelled, the credential still active when the batch runs), adds the secret or
 * public key and writes `credential.claim`. That batch is idempotent (the new row's id derives from the
 * code's hash, and is upserted), so when it fails the code is released and the holder retries.
 * Limit: a credential keeps two live secrets and two live keys without an end date; when a redemption
 * adds a third of a kind, the oldest live ones get the default 24 h grace (the policy: replacedOnAdd).
 */
import type { BatchItem } from "drizzle-orm/batch";
import {
  credentialStatus,
  DEFAULT_ROTATION_GRACE_SECONDS,
  REDEMPTION_KEEPS_OPEN,
  replacedOnAdd,
} from "../domain/credential-rules";
import { ProblemError } from "../domain/errors";
import { ANONYMOUS_ACTOR, serviceActor } from "../domain/actors";
import type { ClientPublicKey } from "../crypto/client-assertion";
import { keyedHash } from "../crypto/secrets";
import { setupCodeObject, type SetupCodeRecord } from "../durable-objects/setup-code";
import { auditInsert, auditInsertIf } from "../storage/audit";
import { capKeyExpiry, listKeys, upsertKeyIf } from "../storage/client-keys";
import { touchCredential } from "../storage/credential-sync";
import { getCredential } from "../storage/credentials";
import { capSecretExpiry, listSecrets, upsertSecretIf } from "../storage/credential-secrets";
import type { CredentialKeyRow, CredentialRow } from "../storage/schema";
import { claimRecorded, getSetupCode, markClaimed } from "../storage/setup-codes";
import { publishCredentialChange } from "./credential-changes";
import { newSecretRow, type CredentialDeps as Deps } from "./credentials";
import { invalidSetupCode, setupModeMismatch } from "./setup-codes";

export interface RedeemRequest {
  code: string;
  mode: "key" | "secret";
  /** Required in key mode, already checked and thumbprinted. */
  key: ClientPublicKey | null;
  hostname: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface Redeemed {
  credential: CredentialRow;
  mode: "key" | "secret";
  clientSecret?: string;
  keyId?: string;
}

/** The code can never succeed (credential revoked or expired, code cancelled): not released. */
class DeadCode extends Error {}

/** Redeems a well-formed code; every way a code fails gives the one invalid_setup_code problem. */
export async function redeemSetupCode(ctx: Deps, req: RedeemRequest, nowMs: number): Promise<Redeemed> {
  const codeHash = await keyedHash(ctx.config.secretPepper, req.code);
  const object = setupCodeObject(ctx.setupCodes, codeHash);
  const outcome = await object.redeem(nowMs, req.mode).catch((err: unknown) => {
    ctx.log.error("setup_redeem_failed", { code_ref: codeHash.slice(0, 8), error: String(err) });
    throw unavailable();
  });
  if (!outcome.ok && outcome.reason === "mode_mismatch") {
    ctx.log.info("setup_code_refused", {
      reason: outcome.reason,
      code_ref: codeHash.slice(0, 8),
      credential: outcome.record?.credentialId ?? null,
    });
    throw setupModeMismatch(outcome.record?.mode ?? "key");
  }
  if (!outcome.ok) {
    ctx.log.info("setup_code_refused", {
      reason: outcome.reason,
      code_ref: codeHash.slice(0, 8),
      credential: outcome.record?.credentialId ?? null,
    });
    if (outcome.reason === "replayed" && outcome.record) await auditReplay(ctx, outcome.record, codeHash, req, nowMs);
    throw invalidSetupCode();
  }
  const record = outcome.record;
  let redeemed: Redeemed;
  try {
    redeemed = await provision(ctx, codeHash, record, req, nowMs);
  } catch (err) {
    if (err instanceof DeadCode) {
      ctx.log.info("setup_code_refused", {
        reason: err.message,
        code_ref: codeHash.slice(0, 8),
        credential: record.credentialId,
      });
      throw invalidSetupCode();
    }
    await object
      .release(record.consumedAt ?? nowMs)
      .catch((e: unknown) => ctx.log.info("setup_code_release_failed", { error: String(e) }));
    if (err instanceof ProblemError) throw err;
    ctx.log.error("setup_redeem_failed", { credential: record.credentialId, error: String(err) });
    throw unavailable();
  }
  await publishCredentialChange(ctx, record.tenantId, record.credentialId, nowMs, { background: ctx.background });
  return redeemed;
}

const unavailable = () =>
  new ProblemError("temporarily_unavailable", "The setup could not be completed. Retry with the same code.");

async function provision(
  ctx: Deps,
  codeHash: string,
  record: SetupCodeRecord,
  req: RedeemRequest,
  nowMs: number,
): Promise<Redeemed> {
  const { db } = ctx;
  const [credential, codeRow, secrets, keys] = await Promise.all([
    getCredential(db, record.tenantId, record.credentialId),
    getSetupCode(db, codeHash),
    listSecrets(db, record.tenantId, record.credentialId),
    listKeys(db, record.tenantId, record.credentialId),
  ]);
  if (!credential || credentialStatus(credential, nowMs) !== "active") throw new DeadCode("credential not active");
  if (!codeRow || codeRow.status === "cancelled" || codeRow.credentialId !== credential.id)
    throw new DeadCode("code cancelled");
  if ((codeRow.mode ?? "key") !== req.mode) throw setupModeMismatch(codeRow.mode ?? "key");

  const provisionedId = `${req.mode === "key" ? "key" : "sec"}_${codeHash.slice(0, 16)}`;
  const graceEnds = nowMs + DEFAULT_ROTATION_GRACE_SECONDS * 1000;
  const claim = {
    claimedAt: nowMs,
    claimedIp: req.ip,
    claimedHostname: req.hostname,
    mode: req.mode,
    keyThumbprint: req.key?.thumbprint ?? null,
    provisionedId,
  };
  // Everything the claim adds runs only if this very claim was recorded by the batch's first statement.
  const claimed = claimRecorded(codeHash, claim);
  let result: Redeemed;
  let writes: BatchItem<"sqlite">[];
  if (req.mode === "key") {
    const key = req.key as ClientPublicKey;
    if (keys.some((k) => k.thumbprint === key.thumbprint && k.id !== provisionedId)) {
      throw new ProblemError(
        "conflict",
        "This public key is already registered for this credential. Generate a new key pair.",
      );
    }
    const row: CredentialKeyRow = {
      id: provisionedId,
      credentialId: credential.id,
      tenantId: credential.tenantId,
      thumbprint: key.thumbprint,
      alg: key.alg,
      publicJwk: key.publicJwk,
      createdAt: nowMs,
      createdBy: record.createdBy,
      expiresAt: null,
      retiredAt: null,
      lastUsedAt: null,
    };
    const capped = replacedOnAdd(keys, nowMs, REDEMPTION_KEEPS_OPEN, provisionedId);
    writes = [
      upsertKeyIf(db, row, claimed),
      ...(capped.length > 0 ? [capKeyExpiry(db, credential.id, capped, graceEnds, claimed)] : []),
    ];
    result = { credential, mode: "key", keyId: key.thumbprint };
  } else {
    const { secret, row } = await newSecretRow(
      ctx,
      credential.id,
      credential.tenantId,
      record.createdBy,
      nowMs,
      provisionedId,
    );
    const capped = replacedOnAdd(secrets, nowMs, REDEMPTION_KEEPS_OPEN, provisionedId);
    writes = [
      upsertSecretIf(db, row, claimed),
      ...(capped.length > 0 ? [capSecretExpiry(db, credential.id, capped, graceEnds, claimed)] : []),
    ];
    result = { credential, mode: "secret", clientSecret: secret };
  }
  const detail = {
    mode: req.mode,
    hostname: req.hostname,
    key_thumbprint: claim.keyThumbprint,
    provisioned: provisionedId,
    code_created_by: record.createdBy,
  };
  const [marked] = await db.batch([
    markClaimed(db, codeHash, claim),
    ...writes,
    touchCredential(db, credential.id, nowMs, claimed),
    auditInsertIf(
      db,
      {
        tenantId: credential.tenantId,
        actor: serviceActor(credential.label),
        action: "credential.claim",
        targetType: "credential",
        targetId: credential.id,
        ip: req.ip,
        userAgent: req.userAgent,
        detail,
        at: nowMs,
      },
      claimed,
    ),
  ]);
  // The code was cancelled or its credential revoked since it was read: nothing was added.
  if (marked.meta.changes === 0) throw new DeadCode("claim not recorded");
  return result;
}

/** Records a replayed code (already consumed) in the audit log: the credential and the caller's IP, never the code. */
async function auditReplay(
  ctx: Deps,
  record: SetupCodeRecord,
  codeHash: string,
  req: RedeemRequest,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  try {
    await auditInsert(db, {
      tenantId: record.tenantId,
      actor: ANONYMOUS_ACTOR,
      action: "setup_code.replay",
      targetType: "credential",
      targetId: record.credentialId,
      ip: req.ip,
      userAgent: req.userAgent,
      detail: {
        code_ref: codeHash.slice(0, 8),
        consumed_at: new Date(record.consumedAt ?? nowMs).toISOString(),
        hostname: req.hostname,
      },
      at: nowMs,
    });
  } catch (err) {
    ctx.log.error("audit_replay_failed", { credential: record.credentialId, error: String(err) });
  }
}
