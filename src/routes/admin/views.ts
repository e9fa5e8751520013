/** Wire shapes of the admin API: snake_case fields and ISO 8601 times. Nothing secret is ever in a view. */
import { credentialStatus, isLive } from "../../domain/credential-rules";
import { serviceName } from "../../domain/token-claims";
import type { AuditEventRow, CredentialRow, CredentialSecretRow, ResourceRow } from "../../storage/schema";

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function secretView(s: CredentialSecretRow, nowMs: number) {
  return {
    id: s.id,
    hint: s.hint,
    status: s.retiredAt !== null ? "retired" : isLive(s, nowMs) ? "active" : "expired",
    created_at: iso(s.createdAt),
    created_by: s.createdBy,
    expires_at: iso(s.expiresAt),
    retired_at: iso(s.retiredAt),
    last_used_at: iso(s.lastUsedAt),
  };
}

export function credentialView(c: CredentialRow, nowMs: number, secrets?: CredentialSecretRow[]) {
  return {
    id: c.id,
    client_id: c.id,
    label: c.label,
    name: serviceName(c.label),
    status: credentialStatus(c, nowMs),
    grants: c.grants,
    scopes: c.grants.flatMap((g) => g.scopes),
    groups: c.groups,
    token_lifetime: c.tokenLifetime,
    created_at: iso(c.createdAt),
    created_by: c.createdBy,
    expires_at: iso(c.expiresAt),
    revoked_at: iso(c.revokedAt),
    revoked_by: c.revokedBy,
    last_used_at: iso(c.lastUsedAt),
    mint_count: c.mintCount,
    ...(secrets ? { secrets: secrets.map((s) => secretView(s, nowMs)) } : {}),
  };
}

export function resourceView(r: ResourceRow) {
  return {
    id: r.id,
    uri: r.uri,
    name: r.name,
    scopes: r.scopes,
    builtin: r.builtin,
    created_at: iso(r.createdAt),
    created_by: r.createdBy,
  };
}

export function auditEventView(e: AuditEventRow) {
  return {
    id: e.id,
    at: iso(e.at),
    at_ms: e.at,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    ip: e.ip,
    user_agent: e.userAgent,
    detail: e.detail,
  };
}
