/**
 * Changing a credential (PATCH): its groups, whether it requires DPoP, or its grants narrowed. Grants only shrink after creation, and
 * the management scopes of the new grants must all be held by the caller (domain/authority.ts), so even
 * narrowing cannot hand a credential a management scope the caller lacks. Guardrails (network allow-list,
 * quotas) may be set, changed or removed by a caller holding every management scope the credential holds,
 * and are audited as credential.guardrails.update. One batch with its audit events.
 */
import { assertAuthority } from "../domain/authority";
import { checkGrants, isNarrowing } from "../domain/credential-rules";
import { problems } from "../domain/errors";
import { auditInsert } from "../storage/audit";
import { touchCredential } from "../storage/credential-sync";
import { updateCredential } from "../storage/credentials";
import { listResources } from "../storage/resources";
import type { Grant } from "../domain/grants";
import type { NetworkPolicy, QuotaPolicy } from "../domain/guardrails";
import { guardrailsAudit, touchesGuardrails } from "./guardrail-changes";
import type { CredentialRow } from "../storage/schema";
import { publishCredentialChange } from "./credential-changes";
import type { Actor, CredentialDeps as Deps } from "./credentials";

export interface CredentialPatch {
  groups?: string[];
  grants?: Grant[];
  /** A new allow-list, or null to remove it; undefined leaves it as it is. */
  networkPolicy?: NetworkPolicy | null;
  quotaPolicy?: QuotaPolicy | null;
  /** RFC 9449: whether the token endpoint requires a DPoP proof for this credential. */
  requireDpop?: boolean;
}

/** Applies a patch to an active credential: 409 when revoked, 400 for bad or widened grants, 403 beyond the caller's authority. */
export async function changeCredential(
  ctx: Deps,
  who: Actor,
  credential: CredentialRow,
  patch: CredentialPatch,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  if (credential.status === "revoked") throw problems.conflict("A revoked credential cannot be changed.");
  if (patch.grants) {
    const grantProblem = checkGrants(patch.grants, await listResources(db, who.tenantId));
    if (grantProblem) throw problems.badRequest(grantProblem);
    if (!isNarrowing(credential.grants, patch.grants)) {
      throw problems.badRequest(
        "Grants may only shrink after creation; a scope can be granted only when a credential is created.",
      );
    }
    assertAuthority(who.authority, patch.grants, "grant");
  }
  if (touchesGuardrails(patch)) assertAuthority(who.authority, credential.grants, "guard");
  const { groups, grants, requireDpop } = patch;
  const detail = {
    before: { groups: credential.groups, grants: credential.grants, require_dpop: credential.requireDpop },
    after: { groups, grants, ...(requireDpop === undefined ? {} : { require_dpop: requireDpop }) },
  };
  const updated = groups !== undefined || grants !== undefined || requireDpop !== undefined;
  await db.batch([
    updateCredential(db, who.tenantId, credential.id, patch),
    ...(updated
      ? [
          auditInsert(db, {
            ...who,
            at: nowMs,
            action: "credential.update",
            targetType: "credential",
            targetId: credential.id,
            detail,
          }),
        ]
      : []),
    ...guardrailsAudit(db, who, credential, patch, nowMs),
    touchCredential(db, credential.id, nowMs),
  ]);
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, { background: ctx.background });
}
