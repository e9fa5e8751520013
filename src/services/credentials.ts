/**
 * Creating, revoking and rotating credentials and retiring secrets: the admin API and bootstrap share these,
 * so the rules (grants checked against the catalog and the caller's authority, one live label per tenant, at
 * most two live secrets) and the audit event are applied the same way whoever asks. Each change is one atomic
 * db.batch with its audit event; revoking and retiring are guarded in their UPDATE, so of two racing requests
 * one wins. It runs a little past 300 lines on purpose: these four changes share the rules above and the
 * batch shape, and keeping them together keeps the one place where those rules are applied.
 */
import type { RequestContext } from "../context";
import type { AuditDetail } from "../domain/audit-actions";
import { assertAuthority } from "../domain/authority";
import { checkGrants, isLive, MAX_LIVE_SECRETS, writeScopesOf } from "../domain/credential-rules";
import { problems } from "../domain/errors";
import { keyedHash, newClientId, newClientSecret, newId, secretHint } from "../crypto/secrets";
import { keyId } from "../crypto/key-id";
import { auditInsert, auditInsertIf, previousStatementChanged, type AuditInput } from "../storage/audit";
import { touchCredential } from "../storage/credential-sync";
import {
  findActiveByLabel,
  getCredential,
  getCredentialWithAuthenticator,
  insertCredential,
  revokeActiveCredential,
} from "../storage/credentials";
import {
  capOtherLiveSecrets,
  fewerLiveSecretsThan,
  insertSecret,
  insertSecretIf,
  listSecrets,
  retireAllSecrets,
  retireSecret,
  secretExists,
} from "../storage/credential-secrets";
import { retireAllKeys } from "../storage/client-keys";
import { cancelSetupCodes, pendingSetupCodes } from "../storage/setup-codes";
import { cancelSetupCodeObjects } from "../durable-objects/setup-code";
import { listResources } from "../storage/resources";
import type { Grant } from "../domain/grants";
import { guardrailsWire, type NetworkPolicy, type QuotaPolicy } from "../domain/guardrails";
import type { Db } from "../storage/db";
import { isUniqueViolation } from "../storage/errors";
import type { CredentialRow, CredentialSecretRow } from "../storage/schema";
import { publishCredentialChange } from "./credential-changes";
import { credentialCreated, credentialRevoked, secretRotated } from "./credential-events";
import { forgetRevocationFeed } from "./revocation-feed";
import { endIssuedTokens } from "./token-revocations";

/** What the credential services use: the D1 primary, config, KV and setup-code objects, the logger and background work. */
export type CredentialDeps = Pick<
  RequestContext,
  "db" | "config" | "revocations" | "setupCodes" | "log" | "background" | "env"
>;
type Deps = CredentialDeps;

type CreateDetail = AuditDetail<"credential.create">;

/** Who is acting, for created_by and the audit log, and what they hold (domain/authority.ts). */
export interface Actor {
  tenantId: string;
  actor: string;
  ip: string | null;
  userAgent: string | null;
  /** The caller's scopes: a machine's token scopes it still holds, a person's role scopes; the operator holds all. */
  authority: ReadonlySet<string>;
}

export interface NewCredentialInput {
  label: string;
  grants: Grant[];
  groups: string[];
  expiresAt: number | null;
  tokenLifetime: number | null;
  /** Guardrails (docs/guardrails.md), already validated and normalised. */
  networkPolicy?: NetworkPolicy | null;
  quotaPolicy?: QuotaPolicy | null;
  /** RFC 9449: mint only with a DPoP proof (default false). */
  requireDpop?: boolean;
}

/** A new secret and its row (hash only); `id` is fixed by callers that must be able to retry idempotently. */
export async function newSecretRow(
  ctx: Pick<RequestContext, "config">,
  credentialId: string,
  tenantId: string,
  by: string,
  nowMs: number,
  id = newId("sec"),
) {
  const secret = await newClientSecret();
  const pepper = ctx.config.secretPepper;
  const row: CredentialSecretRow = {
    id,
    credentialId,
    tenantId,
    secretHash: await keyedHash(pepper, secret),
    pepperId: await keyId(pepper),
    hint: secretHint(secret),
    createdAt: nowMs,
    createdBy: by,
    expiresAt: null,
    retiredAt: null,
    lastUsedAt: null,
  };
  return { secret, row };
}

/**
 * Checks a new credential against the tenant's catalog and labels and builds its row and audit detail.
 * Nothing is written: insertNewCredential does that, with whatever the delivery adds (a secret or a setup code).
 */
export async function prepareCredential(ctx: Deps, who: Actor, input: NewCredentialInput, nowMs: number) {
  const { db } = ctx;
  if (input.expiresAt !== null && input.expiresAt <= nowMs)
    throw problems.badRequest("expires_at must be in the future.");
  const catalog = await listResources(db, who.tenantId);
  const grantProblem = checkGrants(input.grants, catalog);
  if (grantProblem) throw problems.badRequest(grantProblem);
  assertAuthority(who.authority, input.grants, "grant");
  if (await findActiveByLabel(db, who.tenantId, input.label))
    throw problems.conflict("An active credential already has this label.");

  const row: CredentialRow = {
    id: newClientId(),
    tenantId: who.tenantId,
    label: input.label,
    grants: input.grants,
    groups: input.groups,
    status: "active",
    tokenLifetime: input.tokenLifetime,
    createdAt: nowMs,
    createdBy: who.actor,
    expiresAt: input.expiresAt,
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
    mintCount: 0,
    changedAt: nowMs,
    publishedAt: null,
    kvWrittenAt: null,
    tokensNotBefore: null,
    tokensNotBeforeUntil: null,
    networkPolicy: input.networkPolicy ?? null,
    quotaPolicy: input.quotaPolicy ?? null,
    cachingFlaggedAt: null,
    requireDpop: input.requireDpop ?? false,
  };
  const detail: CreateDetail = {
    label: row.label,
    grants: row.grants,
    groups: row.groups,
    write_scopes: writeScopesOf(row.grants, catalog),
    ...(row.networkPolicy || row.quotaPolicy ? { guardrails: guardrailsWire(row.networkPolicy, row.quotaPolicy) } : {}),
    ...(row.requireDpop ? { require_dpop: true } : {}),
  };
  return { row, detail };
}

type Write = Parameters<Db["batch"]>[0][number];

/** Inserts a prepared credential, the writes its delivery needs and its audit event, in one batch. */
export async function insertNewCredential(
  ctx: Deps,
  who: Actor,
  prepared: { row: CredentialRow; detail: CreateDetail },
  writes: Write[],
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  const { row, detail } = prepared;
  try {
    await db.batch([
      insertCredential(db, row),
      ...writes,
      auditInsert(db, {
        ...who,
        at: nowMs,
        action: "credential.create",
        targetType: "credential",
        targetId: row.id,
        detail,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw problems.conflict("An active credential already has this label.");
    throw err;
  }
  // Its KV entry marks it as just changed, so the token endpoint reads it from the primary until replicas have it.
  await publishCredentialChange(ctx, who.tenantId, row.id, nowMs, { background: ctx.background });
  credentialCreated(ctx, who, row, nowMs);
}

/** Creates a credential with its first secret; the secret is returned once and never stored. */
export async function createCredential(ctx: Deps, who: Actor, input: NewCredentialInput, nowMs: number) {
  const prepared = await prepareCredential(ctx, who, input, nowMs);
  const { secret, row: secretRow } = await newSecretRow(ctx, prepared.row.id, who.tenantId, who.actor, nowMs);
  await insertNewCredential(ctx, who, prepared, [insertSecret(ctx.db, secretRow)], nowMs);
  return { credential: prepared.row, secrets: [secretRow], clientSecret: secret };
}

/** Loads a credential of the caller's tenant or answers 404. */
export async function requireCredential(
  ctx: Pick<RequestContext, "db">,
  tenantId: string,
  id: string,
): Promise<CredentialRow> {
  const credential = await getCredential(ctx.db, tenantId, id);
  if (!credential) throw problems.notFound("credential");
  return credential;
}

/** A credential with the secret or key named by a management token's `authenticator` claim, from the primary. */
export function managementCaller(
  ctx: Pick<RequestContext, "db">,
  tenantId: string,
  clientId: string,
  authenticatorId: string,
  jti: string,
) {
  return getCredentialWithAuthenticator(ctx.db, tenantId, clientId, authenticatorId, jti);
}

/**
 * Revokes a credential, retires every secret and key it has, cancels its pending setup codes and ends the
 * tokens it was issued (its not-before time, services/token-revocations.ts); effective for minting as soon
 * as this returns. 409 when it is already revoked (also when a concurrent revoke won).
 */
export async function revokeCredential(ctx: Deps, who: Actor, credential: CredentialRow, nowMs: number): Promise<void> {
  const { db } = ctx;
  const pending = (await pendingSetupCodes(db, who.tenantId, credential.id)).map((p) => p.codeHash);
  const detail = { label: credential.label, cancelled_setup_codes: pending.length };
  // The status guard lives in the UPDATE and the event follows it directly: of two racing revokes, one
  // writes the event and the other gets 409 (its remaining statements find nothing left to retire).
  const [revoked] = await db.batch([
    revokeActiveCredential(db, who.tenantId, credential.id, nowMs, who.actor),
    auditInsertIf(
      db,
      { ...who, at: nowMs, action: "credential.revoke", targetType: "credential", targetId: credential.id, detail },
      previousStatementChanged(),
    ),
    retireAllSecrets(db, credential.id, nowMs),
    retireAllKeys(db, credential.id, nowMs),
    ...(pending.length > 0 ? [cancelSetupCodes(db, pending, nowMs)] : []),
    touchCredential(db, credential.id, nowMs),
    endIssuedTokens(ctx, credential, nowMs),
  ]);
  if (revoked.meta.changes === 0) throw problems.conflict("This credential is already revoked.");
  forgetRevocationFeed(who.tenantId);
  await cancelSetupCodeObjects(ctx.setupCodes, pending);
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, {
    background: ctx.background,
    hint: { revoked: true },
  });
  credentialRevoked(ctx, who, credential, nowMs);
}

/** Retires one secret now; 404 when the credential has no such secret, 409 when it is already retired (also when a concurrent retirement won). */
export async function retireCredentialSecret(
  ctx: Deps,
  who: Actor,
  credential: CredentialRow,
  secretId: string,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  const secret = (await listSecrets(db, who.tenantId, credential.id)).find((s) => s.id === secretId);
  if (!secret) throw problems.notFound("secret");
  const alreadyRetired = () => problems.conflict("This secret is already retired.");
  if (secret.retiredAt !== null) throw alreadyRetired();
  const event: AuditInput = {
    ...who,
    at: nowMs,
    action: "credential.secret.retire",
    targetType: "credential",
    targetId: credential.id,
    detail: { secret: secret.id, hint: secret.hint },
  };
  const [retired] = await db.batch([
    retireSecret(db, credential.id, secret.id, nowMs),
    auditInsertIf(db, event, previousStatementChanged()),
    touchCredential(db, credential.id, nowMs),
  ]);
  if (retired.meta.changes === 0) throw alreadyRetired();
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, {
    background: ctx.background,
    hint: { retired: [secret.id] },
  });
}

/**
 * Adds a secret for zero-downtime rotation. The secrets already live keep working until the grace period
 * ends (or their own earlier expiry); a credential holds at most two live secrets. Both rules are decided in
 * the batch's statements, so of racing rotations only as many win as there are free slots; the others get 409.
 * 403 unless the caller holds every management scope the credential holds (domain/authority.ts).
 */
export async function rotateSecret(
  ctx: Deps,
  who: Actor,
  credential: CredentialRow,
  graceSeconds: number,
  nowMs: number,
) {
  assertAuthority(who.authority, credential.grants, "actFor");
  const { db } = ctx;
  const full = () =>
    problems.conflict("This credential already has two live secrets. Retire one before rotating again.");
  const secrets = await listSecrets(db, who.tenantId, credential.id);
  if (secrets.filter((s) => isLive(s, nowMs)).length >= MAX_LIVE_SECRETS) throw full();
  const { secret, row } = await newSecretRow(ctx, credential.id, who.tenantId, who.actor, nowMs);
  const graceEnds = nowMs + graceSeconds * 1000;
  const event: AuditInput = {
    ...who,
    at: nowMs,
    action: "credential.secret.rotate",
    targetType: "credential",
    targetId: credential.id,
    detail: { new_secret: row.id, hint: row.hint, previous_secrets_expire_at: new Date(graceEnds).toISOString() },
  };
  const [inserted] = await db.batch([
    insertSecretIf(db, row, fewerLiveSecretsThan(credential.id, MAX_LIVE_SECRETS, nowMs)),
    capOtherLiveSecrets(db, credential.id, row.id, graceEnds, nowMs),
    auditInsertIf(db, event, secretExists(row.id)),
    touchCredential(db, credential.id, nowMs, secretExists(row.id)),
  ]);
  if (inserted.meta.changes === 0) throw full();
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, { background: ctx.background });
  secretRotated(ctx, who, credential, row, graceEnds, nowMs);
  return { secret: row, clientSecret: secret };
}
