/**
 * The first management credential of the default tenant, made by the operator who holds BOOTSTRAP_TOKEN
 * (POST /api/v1/bootstrap). The operator holds every management scope, so the credential gets all of them.
 * One live credential carries the bootstrap label: a second call is refused unless it asks to recreate,
 * which revokes the old one first (its tokens stop working on the admin API at once).
 */
import { SYSTEM_ACTORS } from "../domain/actors";
import { problems } from "../domain/errors";
import { DEFAULT_TENANT_ID, MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../domain/management";
import { findActiveByLabel } from "../storage/credentials";
import type { RequestFacts } from "./sign-in";
import { createCredential, revokeCredential, type Actor, type CredentialDeps } from "./credentials";
import { ensureTenant } from "./tenants";

/** The label of the bootstrap credential. */
export const BOOTSTRAP_LABEL = "latchkey-admin";

/** Creates the bootstrap credential (replacing the live one when `recreate`); 409 when one exists and it is not asked to. */
export async function bootstrapCredential(ctx: CredentialDeps, facts: RequestFacts, recreate: boolean, nowMs: number) {
  await ensureTenant(ctx.db, DEFAULT_TENANT_ID, "Default", nowMs);
  const scopes = MANAGEMENT_SCOPES.map((s) => s.name);
  const who: Actor = {
    tenantId: DEFAULT_TENANT_ID,
    actor: SYSTEM_ACTORS.bootstrap,
    ...facts,
    authority: new Set(scopes),
  };
  const existing = await findActiveByLabel(ctx.db, DEFAULT_TENANT_ID, BOOTSTRAP_LABEL);
  if (existing) {
    if (!recreate)
      throw problems.conflict("The bootstrap credential already exists. Re-run with --recreate to replace it.");
    await revokeCredential(ctx, who, existing, nowMs);
  }
  const created = await createCredential(
    ctx,
    who,
    {
      label: BOOTSTRAP_LABEL,
      grants: [{ resource: MANAGEMENT_RESOURCE, scopes }],
      groups: ["latchkey-admins"],
      expiresAt: null,
      tokenLifetime: null,
    },
    nowMs,
  );
  return { clientId: created.credential.id, clientSecret: created.clientSecret, resource: MANAGEMENT_RESOURCE };
}
