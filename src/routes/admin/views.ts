/** Wire shapes of the admin API: snake_case fields and ISO 8601 times. Nothing secret is ever in a view. */
import { credentialStatus, isLive } from "../../domain/credential-rules";
import { serviceActor } from "../../domain/actors";
import type { GuardrailReadout } from "../../services/guardrail-reads";
import { guardrailMembers } from "./guardrail-views";
import { issuerFor } from "../../domain/realms";
import type {
  AuditEventRow,
  CredentialKeyRow,
  CredentialRow,
  CredentialSecretRow,
  ResourceRow,
  SetupCodeRow,
} from "../../storage/schema";

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A secret or key the cron retired at its expiry (retired_at = expires_at) still reads as expired. */
function statusOf(s: { retiredAt: number | null; expiresAt: number | null }, nowMs: number) {
  if (s.retiredAt !== null) return s.expiresAt !== null && s.retiredAt >= s.expiresAt ? "expired" : "retired";
  return isLive(s, nowMs) ? "active" : "expired";
}

export function secretView(s: CredentialSecretRow, nowMs: number) {
  return {
    id: s.id,
    hint: s.hint,
    status: statusOf(s, nowMs),
    created_at: iso(s.createdAt),
    created_by: s.createdBy,
    expires_at: iso(s.expiresAt),
    retired_at: iso(s.retiredAt),
    last_used_at: iso(s.lastUsedAt),
  };
}

export function keyView(k: CredentialKeyRow, nowMs: number) {
  return {
    id: k.id,
    thumbprint: k.thumbprint,
    alg: k.alg,
    status: statusOf(k, nowMs),
    created_at: iso(k.createdAt),
    last_used_at: iso(k.lastUsedAt),
    expires_at: iso(k.expiresAt),
    retired_at: iso(k.retiredAt),
  };
}

/** The state of a credential's latest setup code. A cancelled code (replaced, or its credential revoked) reads as expired. */
export function setupView(s: SetupCodeRow | null | undefined, nowMs: number) {
  const status = !s
    ? "none"
    : s.status === "claimed"
      ? "claimed"
      : s.status === "pending" && s.expiresAt > nowMs
        ? "pending"
        : "expired";
  return {
    status,
    expires_at: s ? iso(s.expiresAt) : null,
    claimed_at: iso(s?.claimedAt ?? null),
    claimed_ip: s?.claimedIp ?? null,
    claimed_hostname: s?.claimedHostname ?? null,
    key_thumbprint: s?.keyThumbprint ?? null,
    mode: s?.mode ?? null,
  };
}

/** What the detail view adds to a credential besides its secrets: public keys and the latest setup code. */
export interface CredentialExtras {
  keys: CredentialKeyRow[];
  setup: SetupCodeRow | null | undefined;
  /** Recent sources and caching health (guardrail-views.ts). */
  guardrails?: GuardrailReadout;
}

/** A credential as the admin API shows it, with its `issuer` (its tenant's, docs/realms.md); `root` is the config. */
export function credentialView(
  root: { issuer: string },
  c: CredentialRow,
  nowMs: number,
  secrets?: CredentialSecretRow[],
  extras?: CredentialExtras,
) {
  return {
    id: c.id,
    client_id: c.id,
    issuer: issuerFor(root, c.tenantId),
    label: c.label,
    name: serviceActor(c.label),
    status: credentialStatus(c, nowMs),
    grants: c.grants,
    scopes: c.grants.flatMap((g) => g.scopes),
    groups: c.groups,
    token_lifetime: c.tokenLifetime,
    require_dpop: c.requireDpop,
    created_at: iso(c.createdAt),
    created_by: c.createdBy,
    expires_at: iso(c.expiresAt),
    revoked_at: iso(c.revokedAt),
    revoked_by: c.revokedBy,
    last_used_at: iso(c.lastUsedAt),
    mint_count: c.mintCount,
    tokens_not_before: iso(c.tokensNotBefore),
    ...(secrets ? { secrets: secrets.map((s) => secretView(s, nowMs)) } : {}),
    ...(extras ? { keys: extras.keys.map((k) => keyView(k, nowMs)), setup: setupView(extras.setup, nowMs) } : {}),
    ...guardrailMembers(c, extras?.guardrails),
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
