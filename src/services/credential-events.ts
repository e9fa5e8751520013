/**
 * The webhook events of credential changes (credential.created, credential.revoked,
 * credential.secret_rotated), raised by services/credentials.ts after its batch has committed. Payloads
 * name the credential and who acted; never a secret (a secret's id and hint at most).
 */
import type { RequestContext } from "../context";
import type { CredentialRow, CredentialSecretRow } from "../storage/schema";
import { queueWebhookEvent } from "./webhook-events";

type Deps = Pick<RequestContext, "env" | "log" | "background">;
type Who = { tenantId: string; actor: string };

const credentialData = (c: Pick<CredentialRow, "id" | "label">) => ({ client_id: c.id, label: c.label });

/** A credential was created (with a secret or a setup code). */
export function credentialCreated(ctx: Deps, who: Who, credential: CredentialRow, nowMs: number): void {
  queueWebhookEvent(ctx, {
    tenantId: who.tenantId,
    type: "credential.created",
    subject: credential.id,
    data: { ...credentialData(credential), created_by: who.actor, groups: credential.groups },
    at: nowMs,
  });
}

/** A credential was revoked. */
export function credentialRevoked(ctx: Deps, who: Who, credential: CredentialRow, nowMs: number): void {
  queueWebhookEvent(ctx, {
    tenantId: who.tenantId,
    type: "credential.revoked",
    subject: credential.id,
    data: { ...credentialData(credential), revoked_by: who.actor },
    at: nowMs,
  });
}

/** A credential was given a new secret; the old ones expire at `graceEndsMs`. */
export function secretRotated(
  ctx: Deps,
  who: Who,
  credential: CredentialRow,
  secret: CredentialSecretRow,
  graceEndsMs: number,
  nowMs: number,
): void {
  queueWebhookEvent(ctx, {
    tenantId: who.tenantId,
    type: "credential.secret_rotated",
    subject: credential.id,
    data: {
      ...credentialData(credential),
      secret: secret.id,
      hint: secret.hint,
      previous_secrets_expire_at: new Date(graceEndsMs).toISOString(),
      rotated_by: who.actor,
    },
    at: nowMs,
  });
}
