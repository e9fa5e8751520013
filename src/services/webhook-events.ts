/**
 * Placeholder of the webhook event queue for the guardrails branch: the real module (Queues delivery, endpoints,
 * signatures) comes from the webhooks work and replaces this file at merge. The signature and the event names
 * are the contract both sides build on; this body only logs `webhook_event_queued`, and never throws.
 */
import type { RequestContext } from "../context";

/** Every webhook event type (issue 11, "Alerts by webhook"). */
export type WebhookEventType =
  | "credential.created"
  | "credential.revoked"
  | "credential.secret_rotated"
  | "credential.expiring"
  | "secret.expiring"
  | "credential.stale"
  | "credential.network_denied"
  | "credential.network_outside_allowlist"
  | "credential.quota_exceeded"
  | "credential.not_caching"
  | "secret.leaked";

/** Queues one event for the tenant's endpoints subscribed to its type; the work runs in ctx.background. */
export function queueWebhookEvent(
  ctx: Pick<RequestContext, "env" | "log" | "background">,
  event: { tenantId: string; type: WebhookEventType; subject?: string; data: Record<string, unknown> },
): void {
  ctx.log.info("webhook_event_queued", { tenant: event.tenantId, type: event.type, subject: event.subject ?? null });
}
