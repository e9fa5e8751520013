/**
 * The one way anything in Latchkey raises a webhook event. The caller's work is a single queue send in the
 * background, after its own write has committed; finding the subscribed endpoints, signing and retrying all
 * happen in the queue consumer (webhook-delivery.ts). It never throws and never delays the caller, so an
 * outage of the queue costs a missed alert (logged), never a failed request.
 */
import type { RequestContext } from "../context";
import { newId } from "../crypto/secrets";
import type { WebhookEventType } from "../domain/webhook-events";

export type { WebhookEventType } from "../domain/webhook-events";

/** An event as the queue carries it and as receivers see it (under their wire names). */
export interface WebhookEvent {
  /** `msg_…`: the `webhook-id` of every attempt to every endpoint. */
  id: string;
  type: WebhookEventType;
  tenantId: string;
  subject?: string;
  /** Milliseconds since the epoch. */
  occurredAt: number;
  data: Record<string, unknown>;
}

/** A message on the webhook queue: an event to fan out, or one delivery of it to one endpoint. */
export type WebhookMessage =
  | { kind: "event"; event: WebhookEvent }
  | { kind: "delivery"; deliveryId: string; endpointId: string; event: WebhookEvent };

/** What a caller hands over: the tenant, the event type, what it is about and its data (no secrets). */
export interface WebhookEventInput {
  tenantId: string;
  type: WebhookEventType;
  subject?: string;
  data: Record<string, unknown>;
  /** When it happened (ms); defaults to now. The cron passes its scheduled time. */
  at?: number;
}

/** Builds the event with a fresh id. */
export function newWebhookEvent(input: WebhookEventInput): WebhookEvent {
  return {
    id: newId("msg"),
    type: input.type,
    tenantId: input.tenantId,
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    occurredAt: input.at ?? Date.now(),
    data: input.data,
  };
}

/**
 * Queues an event for every endpoint of the tenant subscribed to its type. Never throws: the send runs in
 * ctx.background and a failure is logged as `webhook_queue_failed`.
 */
export function queueWebhookEvent(
  ctx: Pick<RequestContext, "env" | "log" | "background">,
  event: WebhookEventInput,
): void {
  try {
    const message: WebhookMessage = { kind: "event", event: newWebhookEvent(event) };
    ctx.background(
      ctx.env.WEBHOOK_QUEUE.send(message).catch((err: unknown) => {
        ctx.log.error("webhook_queue_failed", { type: event.type, tenant: event.tenantId, error: String(err) });
      }),
    );
  } catch (err) {
    ctx.log.error("webhook_queue_failed", { type: event.type, tenant: event.tenantId, error: String(err) });
  }
}

/** The JSON body receivers get (docs/webhooks.md). */
export function webhookPayload(event: WebhookEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: new Date(event.occurredAt).toISOString(),
    tenant: event.tenantId,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    data: event.data,
  });
}
