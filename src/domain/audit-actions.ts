/**
 * The audit-action catalog: every action Latchkey records, the type of target it names and the shape of
 * its detail. storage/audit.ts accepts only these, so an event cannot be misspelt or carry an unplanned
 * field, and docs/storage-schema.md lists the same set (a test checks both ways). Details never hold a
 * secret, a setup code or a token: ids, hints, hash prefixes and names only.
 */
import type { Grant } from "./grants";
import type { GuardMode, GuardrailsWire } from "./guardrails";
import type { Role } from "./roles";

type SetupMode = "key" | "secret";
type Member = { email: string; role: Role };

/** Why a sign-in failed; recorded, never shown to the caller. */
export type SignInFailure = "unknown_account" | "wrong_password" | "no_password" | "unsupported_hash";

/** Each action: `target` is the target_type it names, `detail` the JSON it carries (undefined: none). */
export interface AuditCatalog {
  "credential.create": {
    target: "credential";
    detail: {
      label: string;
      grants: readonly Grant[];
      groups: readonly string[];
      write_scopes: readonly string[];
      require_dpop?: true;
      delivery?: "setup_code";
      mode?: SetupMode;
      guardrails?: GuardrailsDetail;
    };
  };
  "credential.update": {
    target: "credential";
    detail: {
      before: { groups: readonly string[]; grants: readonly Grant[]; require_dpop?: boolean };
      after: { groups?: readonly string[]; grants?: readonly Grant[]; require_dpop?: boolean };
    };
  };
  "credential.revoke": { target: "credential"; detail: { label: string; cancelled_setup_codes: number } };
  "credential.secret.rotate": {
    target: "credential";
    detail: { new_secret: string; hint: string; previous_secrets_expire_at: string };
  };
  "credential.secret.retire": { target: "credential"; detail: { secret: string; hint: string } };
  "credential.key.retire": { target: "credential"; detail: { key: string; thumbprint: string } };
  "credential.setup_code.create": { target: "credential"; detail: { expires_at: string; mode: SetupMode } };
  "credential.claim": {
    target: "credential";
    detail: {
      mode: SetupMode;
      hostname: string | null;
      key_thumbprint: string | null;
      provisioned: string;
      code_created_by: string;
    };
  };
  "setup_code.replay": {
    target: "credential";
    detail: { code_ref: string; consumed_at: string; hostname: string | null };
  };
  "resource.create": { target: "resource"; detail: { uri: string; scopes: readonly string[] } };
  "auth.sign_in": { target: "session"; detail: { method: "password" } };
  "auth.sign_in.failure": { target: "user"; detail: { reason: SignInFailure } };
  "auth.sign_out": { target: "session"; detail: undefined };
  "session.end": { target: "session"; detail: { user: string } };
  "invitation.create": { target: "invitation"; detail: Member };
  "invitation.accept": { target: "invitation"; detail: { user: string; role: Role; membership?: true } };
  "invitation.revoke": { target: "invitation"; detail: Member };
  "member.role.change": { target: "user"; detail: { email: string; before: Role; after: Role } };
  "member.remove": { target: "user"; detail: Member };
  "owner.link.create": { target: "owner_link"; detail: undefined };
  "owner.setup": { target: "user"; detail: { email: string; link: string } };
  "credential.federated_identity.create": {
    target: "credential";
    detail: {
      identity: string;
      preset: string;
      issuer: string;
      audience: string;
      subject: string | null;
      claims: Readonly<Record<string, string>>;
      max_token_lifetime: number | null;
    };
  };
  "credential.federated_identity.delete": {
    target: "credential";
    detail: { identity: string; issuer: string; subject: string | null };
  };
  "webhook_endpoint.create": { target: "webhook_endpoint"; detail: { url: string; event_types: readonly string[] } };
  "webhook_endpoint.update": {
    target: "webhook_endpoint";
    detail: { url?: string; event_types?: readonly string[]; enabled?: boolean; secret_rotated?: boolean };
  };
  "webhook_endpoint.delete": { target: "webhook_endpoint"; detail: { url: string } };
  "webhook_endpoint.test": { target: "webhook_endpoint"; detail: { event: string } };
  "alert_settings.update": {
    target: "tenant";
    detail: { leaked_secret_action: "retire" | "notify"; stale_after_days: number };
  };
  "secret.leak_reported": {
    target: "credential";
    detail: {
      kind: "secret" | "setup_code";
      ref: string;
      outcome: "retired" | "cancelled" | "notified" | "already_inactive";
      url: string | null;
      source: string | null;
    };
  };
  "credential.tokens.revoke": { target: "credential"; detail: { not_before: string } };
  "token.revoke": { target: "credential"; detail: { jti: string; aud: string; exp: string } };
  "device.approve": { target: "device_authorization"; detail: { client_id: string; hostname: string | null } };
  "device.deny": { target: "device_authorization"; detail: { client_id: string; hostname: string | null } };
  "auth.device_sign_in": {
    target: "session";
    detail: { client_id: string; hostname: string | null; authorization: string };
  };
  "session.refresh_reuse": { target: "session"; detail: { user: string; client_id: string } };
  "credential.guardrails.update": {
    target: "credential";
    detail: { before: GuardrailsDetail; after: GuardrailsDetail };
  };
  "credential.network_denied": { target: "credential"; detail: NetworkAlertDetail };
  "credential.network_outside_allowlist": { target: "credential"; detail: NetworkAlertDetail };
  "credential.quota_exceeded": {
    target: "credential";
    detail: { window: "hour" | "day"; limit: number; mode: GuardMode; window_start: string };
  };
  "tenant.create": { target: "tenant"; detail: { name: string; issuer: string; via: "operator" | "signup" } };
  "owner.link.claim": { target: "user"; detail: { email: string; link: string } };
  "session.tenant.switch": { target: "session"; detail: { from: string; to: string } };
}

/** A credential's guardrails as the audit log records them (wire names). */
export type GuardrailsDetail = GuardrailsWire;

/** Where a request outside a credential's allow-list came from, and where it was judged. */
export type NetworkAlertDetail = {
  source: string;
  address: string;
  surface: "token_endpoint" | "admin_api";
  mode: GuardMode;
};

export type AuditAction = keyof AuditCatalog;
export type AuditTarget<A extends AuditAction> = AuditCatalog[A]["target"];
export type AuditDetail<A extends AuditAction> = AuditCatalog[A]["detail"];

/** Every action with its target type, at run time (the documentation check, readers of the log). */
export const AUDIT_ACTIONS: { readonly [A in AuditAction]: AuditTarget<A> } = {
  "credential.create": "credential",
  "credential.update": "credential",
  "credential.revoke": "credential",
  "credential.secret.rotate": "credential",
  "credential.secret.retire": "credential",
  "credential.key.retire": "credential",
  "credential.setup_code.create": "credential",
  "credential.claim": "credential",
  "setup_code.replay": "credential",
  "resource.create": "resource",
  "auth.sign_in": "session",
  "auth.sign_in.failure": "user",
  "auth.sign_out": "session",
  "session.end": "session",
  "invitation.create": "invitation",
  "invitation.accept": "invitation",
  "invitation.revoke": "invitation",
  "member.role.change": "user",
  "member.remove": "user",
  "owner.link.create": "owner_link",
  "owner.setup": "user",
  "credential.federated_identity.create": "credential",
  "credential.federated_identity.delete": "credential",
  "webhook_endpoint.create": "webhook_endpoint",
  "webhook_endpoint.update": "webhook_endpoint",
  "webhook_endpoint.delete": "webhook_endpoint",
  "webhook_endpoint.test": "webhook_endpoint",
  "alert_settings.update": "tenant",
  "secret.leak_reported": "credential",
  "credential.tokens.revoke": "credential",
  "token.revoke": "credential",
  "device.approve": "device_authorization",
  "device.deny": "device_authorization",
  "auth.device_sign_in": "session",
  "session.refresh_reuse": "session",
  "credential.guardrails.update": "credential",
  "credential.network_denied": "credential",
  "credential.network_outside_allowlist": "credential",
  "credential.quota_exceeded": "credential",
  "tenant.create": "tenant",
  "owner.link.claim": "user",
  "session.tenant.switch": "session",
};
