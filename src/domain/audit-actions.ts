/**
 * The audit-action catalog: every action Latchkey records, the type of target it names and the shape of
 * its detail. storage/audit.ts accepts only these, so an event cannot be misspelt or carry an unplanned
 * field, and docs/storage-schema.md lists the same set (a test checks both ways). Details never hold a
 * secret, a setup code or a token: ids, hints, hash prefixes and names only.
 */
import type { Grant } from "./grants";
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
      delivery?: "setup_code";
      mode?: SetupMode;
    };
  };
  "credential.update": {
    target: "credential";
    detail: {
      before: { groups: readonly string[]; grants: readonly Grant[] };
      after: { groups?: readonly string[]; grants?: readonly Grant[] };
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
  "invitation.accept": { target: "invitation"; detail: { user: string; role: Role } };
  "invitation.revoke": { target: "invitation"; detail: Member };
  "member.role.change": { target: "user"; detail: { email: string; before: Role; after: Role } };
  "member.remove": { target: "user"; detail: Member };
  "owner.link.create": { target: "owner_link"; detail: undefined };
  "owner.setup": { target: "user"; detail: { email: string; link: string } };
  "tenant.create": { target: "tenant"; detail: { name: string; issuer: string; via: "operator" | "signup" } };
  "owner.link.claim": { target: "user"; detail: { email: string; link: string } };
  "session.tenant.switch": { target: "session"; detail: { from: string; to: string } };
}

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
  "tenant.create": "tenant",
  "owner.link.claim": "user",
  "session.tenant.switch": "session",
};
