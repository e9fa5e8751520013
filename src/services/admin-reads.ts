/**
 * The admin API's plain reads, each on the D1 primary (read-your-writes after a change): the audit log,
 * credentials and the detail of one, members, invitations, sessions and signing keys. They live here, not
 * in the routes, so a route never holds a database handle: it parses, calls a service and serializes.
 */
import type { RequestContext } from "../context";
import { listAuditEvents, type AuditFilter } from "../storage/audit";
import { listKeys } from "../storage/client-keys";
import { listCredentials, type CredentialListFilter } from "../storage/credentials";
import { listSecrets } from "../storage/credential-secrets";
import { listInvitations, listUsers } from "../storage/people";
import type { CredentialRow } from "../storage/schema";
import { listDeviceSessions } from "../storage/device-sessions";
import { listSessions } from "../storage/sessions";
import { latestSetupCode } from "../storage/setup-codes";
import { membersByMembership } from "../storage/memberships";
import { listSigningKeys } from "../storage/signing-keys";
import { requireCredential } from "./credentials";
import { guardrailReadout } from "./guardrail-reads";

type Deps = Pick<RequestContext, "db">;

/** The tenant's audit events, newest first, as filtered. */
export const auditEvents = (ctx: Deps, tenantId: string, filter: AuditFilter) =>
  listAuditEvents(ctx.db, tenantId, filter);

/** The tenant's credentials, as filtered by stored status and group. */
export const tenantCredentials = (ctx: Deps, tenantId: string, filter: CredentialListFilter) =>
  listCredentials(ctx.db, tenantId, filter);

/**
 * One credential re-read with its secrets, public keys, latest setup code and guardrail readout (recent
 * sources, caching health); 404 when it is gone.
 */
export async function credentialDetail(
  ctx: Deps & Pick<RequestContext, "config">,
  credential: Pick<CredentialRow, "tenantId" | "id" | "tokenLifetime">,
  nowMs: number,
) {
  const { db } = ctx;
  const [fresh, secrets, keys, setup, guardrails] = await Promise.all([
    requireCredential(ctx, credential.tenantId, credential.id),
    listSecrets(db, credential.tenantId, credential.id),
    listKeys(db, credential.tenantId, credential.id),
    latestSetupCode(db, credential.tenantId, credential.id),
    guardrailReadout(ctx, credential, nowMs),
  ]);
  return { credential: fresh, secrets, keys, setup, guardrails };
}

/** The tenant's people: those whose home it is, then those who belong by membership (with their role there). */
export const members = async (ctx: Deps, tenantId: string) => [
  ...(await listUsers(ctx.db, tenantId)),
  ...(await membersByMembership(ctx.db, tenantId)),
];

/** The tenant's invitations, whatever their state. */
export const invitations = (ctx: Deps, tenantId: string) => listInvitations(ctx.db, tenantId);

/** Console sessions of the tenant, or of one person when `userId` is given, with each person's name and email. */
export const sessions = (ctx: Deps, tenantId: string, userId?: string) => listSessions(ctx.db, tenantId, userId);

/** Tool sessions (device grant) of the tenant, or of one person, with each person's name and email. */
export const deviceSessions = (ctx: Deps, tenantId: string, userId?: string) =>
  listDeviceSessions(ctx.db, tenantId, userId);

/** Every signing key of the tenant's ring, published or not. */
export const signingKeys = (ctx: Deps, tenantId: string) => listSigningKeys(ctx.db, tenantId);
