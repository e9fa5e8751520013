/**
 * The webhook queue's consumer. An `event` message fans out: one delivery row and one `delivery` message per
 * enabled endpoint subscribed to its type. A `delivery` message is one signed POST (Standard Webhooks); a
 * failure (non-2xx, a redirect, a timeout, a network error) is retried with backoff through message.retry,
 * carrying the same event id, so every attempt has the same `webhook-id`. After the last attempt the delivery
 * is marked dead and a dead letter with its payload is written in the same batch. Delivery is at least once:
 * a receiver that answered but whose 2xx was not recorded sees the event again, with the same id.
 */
import type { RequestContext } from "../context";
import { openWebhookSecret, signWebhook } from "../crypto/webhook-signature";
import { getEndpoint, insertDeadLetter, insertDeliveries, listEndpoints, recordAttempt } from "../storage/webhooks";
import type { WebhookDeliveryRow, WebhookEndpointRow } from "../storage/schema";
import { webhookPayload, type WebhookEvent, type WebhookMessage } from "./webhook-events";

/** Seconds before each retry: after attempt 1, 2, ... The attempt after the last delay is the final one. */
export const WEBHOOK_RETRY_DELAYS_SECONDS = [10, 60, 300, 1800, 7200] as const;
/** Attempts per delivery, the first included. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_SECONDS.length + 1;

type Deps = Pick<RequestContext, "db" | "config" | "env" | "log">;

/** The delivery id of an event at an endpoint: deterministic, so a retried fan-out writes nothing twice. */
export const deliveryIdOf = (eventId: string, endpointId: string) => `${eventId}.${endpointId}`;

/** The queued delivery of `event` to `endpoint` and its log row. */
export function deliveryOf(event: WebhookEvent, endpoint: WebhookEndpointRow, nowMs: number) {
  const row: WebhookDeliveryRow = {
    id: deliveryIdOf(event.id, endpoint.id),
    tenantId: event.tenantId,
    endpointId: endpoint.id,
    eventId: event.id,
    eventType: event.type,
    status: "pending",
    attempts: 0,
    lastStatus: null,
    lastError: null,
    createdAt: nowMs,
    updatedAt: nowMs,
    nextAttemptAt: nowMs,
  };
  const message: WebhookMessage = { kind: "delivery", deliveryId: row.id, endpointId: endpoint.id, event };
  return { row, message };
}

async function fanOut(ctx: Deps, event: WebhookEvent, nowMs: number): Promise<void> {
  const endpoints = (await listEndpoints(ctx.db, event.tenantId)).filter(
    (e) => e.enabled && e.eventTypes.includes(event.type),
  );
  if (endpoints.length === 0) return;
  const deliveries = endpoints.map((e) => deliveryOf(event, e, nowMs));
  await ctx.db.batch([
    insertDeliveries(
      ctx.db,
      deliveries.map((d) => d.row),
    ),
  ]);
  await ctx.env.WEBHOOK_QUEUE.sendBatch(deliveries.map((d) => ({ body: d.message })));
}

/** One POST; the outcome as a status code or a fixed error text (never the receiver's body). */
async function attempt(ctx: Deps, endpoint: WebhookEndpointRow, event: WebhookEvent, nowMs: number) {
  const secret = await openWebhookSecret(
    { current: ctx.config.keyEncryptionKey, previous: ctx.config.keyEncryptionKeyPrevious },
    endpoint.id,
    endpoint.secretEnvelope,
  );
  const body = webhookPayload(event);
  const timestamp = Math.floor(nowMs / 1000);
  try {
    const res = await fetch(endpoint.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(ctx.config.webhookTimeoutSeconds * 1000),
      headers: {
        "content-type": "application/json",
        "user-agent": "Latchkey-Webhooks/1",
        "webhook-id": event.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(secret, event.id, timestamp, body),
      },
      body,
    });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300
      ? { ok: true as const, status: res.status }
      : { ok: false as const, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { ok: false as const, status: null, error: timedOut ? "timeout" : "network error" };
  }
}

async function deliver(
  ctx: Deps,
  message: Message<unknown>,
  m: Extract<WebhookMessage, { kind: "delivery" }>,
  nowMs: number,
): Promise<void> {
  const endpoint = await getEndpoint(ctx.db, m.event.tenantId, m.endpointId);
  if (!endpoint?.enabled) {
    message.ack();
    return;
  }
  const tries = message.attempts;
  const outcome = await attempt(ctx, endpoint, m.event, nowMs);
  const base = { attempts: tries, lastStatus: outcome.status, updatedAt: nowMs };
  if (outcome.ok) {
    await ctx.db.batch([
      recordAttempt(ctx.db, m.deliveryId, { ...base, status: "delivered", lastError: null, nextAttemptAt: null }),
    ]);
    ctx.log.info("webhook_delivered", { delivery: m.deliveryId, type: m.event.type, attempts: tries });
    message.ack();
    return;
  }
  if (tries >= WEBHOOK_MAX_ATTEMPTS) {
    await ctx.db.batch([
      recordAttempt(ctx.db, m.deliveryId, { ...base, status: "dead", lastError: outcome.error, nextAttemptAt: null }),
      insertDeadLetter(ctx.db, {
        deliveryId: m.deliveryId,
        tenantId: m.event.tenantId,
        endpointId: m.endpointId,
        eventId: m.event.id,
        eventType: m.event.type,
        payload: webhookPayload(m.event),
        attempts: tries,
        lastError: outcome.error,
        at: nowMs,
      }),
    ]);
    ctx.log.error("webhook_dead_lettered", { delivery: m.deliveryId, type: m.event.type, attempts: tries });
    message.ack();
    return;
  }
  const delaySeconds = WEBHOOK_RETRY_DELAYS_SECONDS[tries - 1] ?? WEBHOOK_RETRY_DELAYS_SECONDS.at(-1) ?? 60;
  await ctx.db.batch([
    recordAttempt(ctx.db, m.deliveryId, {
      ...base,
      status: "retrying",
      lastError: outcome.error,
      nextAttemptAt: nowMs + delaySeconds * 1000,
    }),
  ]);
  ctx.log.info("webhook_attempt_failed", { delivery: m.deliveryId, attempts: tries, error: outcome.error });
  message.retry({ delaySeconds });
}

function isWebhookMessage(body: unknown): body is WebhookMessage {
  if (typeof body !== "object" || body === null) return false;
  const m = body as Partial<WebhookMessage> & { event?: Partial<WebhookEvent> };
  const eventOk = typeof m.event?.id === "string" && typeof m.event?.tenantId === "string";
  if (m.kind === "event") return eventOk;
  return m.kind === "delivery" && eventOk && typeof m.deliveryId === "string" && typeof m.endpointId === "string";
}

/**
 * Handles one batch from the webhook queue. A message that cannot be handled now (D1 or the queue failing)
 * is retried with the first backoff delay; a message that is not ours is acknowledged and logged.
 */
export async function handleWebhookBatch(ctx: Deps, batch: MessageBatch<unknown>, nowMs: number): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    if (!isWebhookMessage(body)) {
      ctx.log.error("webhook_queue_failed", { error: "unrecognised message", message: message.id });
      message.ack();
      continue;
    }
    try {
      if (body.kind === "event") {
        await fanOut(ctx, body.event, nowMs);
        message.ack();
      } else {
        await deliver(ctx, message, body, nowMs);
      }
    } catch (err) {
      ctx.log.error("webhook_queue_failed", { message: message.id, error: String(err) });
      message.retry({ delaySeconds: WEBHOOK_RETRY_DELAYS_SECONDS[0] });
    }
  }
}
