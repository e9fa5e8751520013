/**
 * Admin changes to a credential's federated identities: creating one (the safety rules of
 * domain/federation-rules.ts, the authority rule, at most MAX_FEDERATED_IDENTITIES, guarded in the insert itself)
 * and deleting one. A rule is an authenticator like a secret: whoever adds one may mint the credential's
 * tokens, so only a caller holding the credential's management scopes may add it. Each change is one batch
 * with its audit event and the credential's changed_at, then published like a retired secret (KV, caches).
 */
import { issuerFor } from "../domain/realms";
import { assertAuthority } from "../domain/authority";
import { credentialStatus } from "../domain/credential-rules";
import { problems } from "../domain/errors";
import { buildFederatedRule, type FederatedIdentityInput, MAX_FEDERATED_IDENTITIES } from "../domain/federation-rules";
import { newId } from "../crypto/secrets";
import { auditInsertIf, previousStatementChanged } from "../storage/audit";
import { touchCredential } from "../storage/credential-sync";
import {
  deleteFederatedIdentity,
  insertFederatedIdentityIf,
  listFederatedIdentities,
} from "../storage/federated-identities";
import type { CredentialRow, FederatedIdentityRow } from "../storage/schema";
import { publishCredentialChange } from "./credential-changes";
import { evaluateSubjectToken } from "./federated-exchange";
import type { Actor, CredentialDeps as Deps } from "./credentials";

const overLimit = () =>
  problems.conflict(`A credential has at most ${MAX_FEDERATED_IDENTITIES} federated identities: delete one first.`);

/** Creates a federated identity on `credential`; 400 for an unsafe rule, 403 without authority, 409 over the limit. */
export async function createFederatedIdentity(
  ctx: Deps,
  who: Actor,
  credential: CredentialRow,
  input: FederatedIdentityInput,
  nowMs: number,
): Promise<FederatedIdentityRow> {
  if (credentialStatus(credential, nowMs) !== "active")
    throw problems.conflict("A revoked or expired credential cannot get a federated identity.");
  assertAuthority(who.authority, credential.grants, "actFor");
  const built = buildFederatedRule(input, issuerFor(ctx.config, credential.tenantId));
  if (!built.ok) throw problems.badRequest(built.problem);
  const { rule } = built;
  const row: FederatedIdentityRow = {
    id: newId("fid"),
    credentialId: credential.id,
    tenantId: who.tenantId,
    ...rule,
    createdAt: nowMs,
    createdBy: who.actor,
    deletedAt: null,
    lastUsedAt: null,
    lastSubject: null,
  };
  const { db } = ctx;
  const [inserted] = await db.batch([
    insertFederatedIdentityIf(db, row, MAX_FEDERATED_IDENTITIES),
    auditInsertIf(
      db,
      {
        ...who,
        at: nowMs,
        action: "credential.federated_identity.create",
        targetType: "credential",
        targetId: credential.id,
        detail: {
          identity: row.id,
          preset: row.preset,
          issuer: row.issuer,
          audience: row.audience,
          subject: row.subject,
          claims: row.claims,
          max_token_lifetime: row.maxTokenLifetime,
        },
      },
      previousStatementChanged(),
    ),
    touchCredential(db, credential.id, nowMs),
  ]);
  if (inserted.meta.changes === 0) throw overLimit();
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, { background: ctx.background });
  return row;
}

/** Deletes a federated identity at once; it stops minting everywhere as the change propagates (KV retired list). */
export async function removeFederatedIdentity(
  ctx: Deps,
  who: Actor,
  credential: CredentialRow,
  identityId: string,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  const identity = (await listFederatedIdentities(db, who.tenantId, credential.id)).find((f) => f.id === identityId);
  if (!identity) throw problems.notFound("federated identity");
  const [deleted] = await db.batch([
    deleteFederatedIdentity(db, credential.id, identity.id, nowMs),
    auditInsertIf(
      db,
      {
        ...who,
        at: nowMs,
        action: "credential.federated_identity.delete",
        targetType: "credential",
        targetId: credential.id,
        detail: { identity: identity.id, issuer: identity.issuer, subject: identity.subject },
      },
      previousStatementChanged(),
    ),
    touchCredential(db, credential.id, nowMs),
  ]);
  if (deleted.meta.changes === 0) throw problems.notFound("federated identity");
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, {
    background: ctx.background,
    hint: { retired: [identity.id] },
  });
}

/** The credential's live federated identities, oldest first. */
export function federatedIdentitiesOf(ctx: Pick<Deps, "db">, credential: Pick<CredentialRow, "tenantId" | "id">) {
  return listFederatedIdentities(ctx.db, credential.tenantId, credential.id);
}

/**
 * The admin's dry run: which of the credential's identities `subjectToken` satisfies, or why it fails (the
 * token as a whole, or the first failed condition of each rule of its issuer). Decides as an exchange would,
 * with the same keys and clock, but consumes no jti and mints nothing.
 */
export async function dryRunSubjectToken(
  ctx: Pick<Deps, "db" | "config">,
  credential: CredentialRow,
  subjectToken: string,
  nowMs: number,
) {
  const rules = await listFederatedIdentities(ctx.db, credential.tenantId, credential.id);
  const evaluation = await evaluateSubjectToken(ctx.config.issuer, rules, subjectToken, nowMs);
  return {
    matched: evaluation.matched?.identity.id ?? null,
    token_problem: evaluation.tokenProblem,
    credential_status: credentialStatus(credential, nowMs),
    rules: evaluation.rules.map((r) => ({ id: r.identity.id, failed: r.failed })),
    claims: evaluation.claims,
  };
}
