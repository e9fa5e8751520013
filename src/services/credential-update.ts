/**
 * Changing a credential (PATCH): its groups, whether it requires DPoP, or its grants narrowed. Grants only shrink after creation, and
 * the management scopes of the new grants must all be held by the caller (domain/authority.ts), so even
 * narrowing cannot hand a credential a management scope the caller lacks. One batch with its audit event.
 */
import { assertAuthority } from "../domain/authority";
import { checkGrants, isNarrowing } from "../domain/credential-rules";
import { problems } from "../domain/errors";
import { auditInsert } from "../storage/audit";
import { touchCredential } from "../storage/credential-sync";
import { updateCredential } from "../storage/credentials";
import { listResources } from "../storage/resources";
import type { Grant } from "../domain/grants";
import type { CredentialRow } from "../storage/schema";
import { publishCredentialChange } from "./credential-changes";
import type { Actor, CredentialDeps as Deps } from "./credentials";

export interface CredentialPatch {
  groups?: string[];
  grants?: Grant[];
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
  const { requireDpop, ...rest } = patch;
  const detail = {
    before: { groups: credential.groups, grants: credential.grants, require_dpop: credential.requireDpop },
    after: { ...rest, ...(requireDpop === undefined ? {} : { require_dpop: requireDpop }) },
  };
  await db.batch([
    updateCredential(db, who.tenantId, credential.id, patch),
    auditInsert(db, {
      ...who,
      at: nowMs,
      action: "credential.update",
      targetType: "credential",
      targetId: credential.id,
      detail,
    }),
    touchCredential(db, credential.id, nowMs),
  ]);
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, { background: ctx.background });
}
