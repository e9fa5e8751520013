/**
 * Creating, changing, deleting and test-firing a tenant's webhook endpoints. Each change is one db.batch with
 * its audit event. The signing secret is made here, sealed under the key-encryption key and returned once
 * (at creation and on rotation); it is never logged and never shown again. URLs are checked against the
 * deployment's issuer (domain/webhook-events.ts), so loopback http works only in local development.
 */
import type { RequestContext } from "../context";
import { newId } from "../crypto/secrets";
import { newWebhookSecret, sealWebhookSecret, webhookSecretHint } from "../crypto/webhook-signature";
import { ProblemError, problems } from "../domain/errors";
import { endpointUrlProblem } from "../domain/webhook-events";
import { auditInsert } from "../storage/audit";
import type { WebhookEndpointRow } from "../storage/schema";
import {
  deleteEndpoint,
  getEndpoint,
  insertDeliveries,
  insertEndpoint,
  listEndpoints,
  updateEndpoint,
} from "../storage/webhooks";
import type { Actor } from "./credentials";
import { deliveryOf } from "./webhook-delivery";
import { newWebhookEvent } from "./webhook-events";

/** Endpoints one tenant may have: each event is one queue message per endpoint. */
export const MAX_ENDPOINTS_PER_TENANT = 20;

type Deps = Pick<RequestContext, "db" | "config" | "env">;

export interface EndpointInput {
  url: string;
  description: string;
  eventTypes: string[];
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  eventTypes?: string[];
  enabled?: boolean;
  rotateSecret?: boolean;
}

function checkUrl(ctx: Deps, url: string): void {
  const problem = endpointUrlProblem(url, ctx.config.issuer);
  if (problem) throw problems.badRequest(problem);
}

async function sealedSecret(ctx: Deps, endpointId: string) {
  const secret = newWebhookSecret();
  const envelope = await sealWebhookSecret(ctx.config.keyEncryptionKey, endpointId, secret);
  return { secret, envelope, hint: webhookSecretHint(secret) };
}

/** Loads an endpoint of the caller's tenant or answers 404. */
export async function requireEndpoint(ctx: Pick<RequestContext, "db">, tenantId: string, id: string) {
  const endpoint = await getEndpoint(ctx.db, tenantId, id);
  if (!endpoint) throw problems.notFound("webhook endpoint");
  return endpoint;
}

/** Creates an endpoint; its `whsec_` secret is returned once. */
export async function createEndpoint(ctx: Deps, who: Actor, input: EndpointInput, nowMs: number) {
  checkUrl(ctx, input.url);
  if ((await listEndpoints(ctx.db, who.tenantId)).length >= MAX_ENDPOINTS_PER_TENANT)
    throw problems.conflict(`A tenant may have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints.`);
  const id = newId("whk");
  const { secret, envelope, hint } = await sealedSecret(ctx, id);
  const row: WebhookEndpointRow = {
    id,
    tenantId: who.tenantId,
    url: input.url,
    description: input.description,
    eventTypes: [...new Set(input.eventTypes)],
    secretEnvelope: envelope,
    secretHint: hint,
    enabled: true,
    createdAt: nowMs,
    createdBy: who.actor,
    updatedAt: nowMs,
  };
  await ctx.db.batch([
    insertEndpoint(ctx.db, row),
    auditInsert(ctx.db, {
      ...who,
      at: nowMs,
      action: "webhook_endpoint.create",
      targetType: "webhook_endpoint",
      targetId: id,
      detail: { url: row.url, event_types: row.eventTypes },
    }),
  ]);
  return { endpoint: row, secret };
}

/** Changes an endpoint; with `rotateSecret` a new secret replaces the old at once and is returned once. */
export async function changeEndpoint(
  ctx: Deps,
  who: Actor,
  endpoint: WebhookEndpointRow,
  patch: EndpointPatch,
  nowMs: number,
) {
  if (patch.url !== undefined) checkUrl(ctx, patch.url);
  const rotated = patch.rotateSecret ? await sealedSecret(ctx, endpoint.id) : null;
  const set: Partial<WebhookEndpointRow> = {
    ...(patch.url !== undefined ? { url: patch.url } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.eventTypes !== undefined ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    ...(rotated ? { secretEnvelope: rotated.envelope, secretHint: rotated.hint } : {}),
    updatedAt: nowMs,
  };
  await ctx.db.batch([
    updateEndpoint(ctx.db, who.tenantId, endpoint.id, set),
    auditInsert(ctx.db, {
      ...who,
      at: nowMs,
      action: "webhook_endpoint.update",
      targetType: "webhook_endpoint",
      targetId: endpoint.id,
      detail: {
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(set.eventTypes ? { event_types: set.eventTypes } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(rotated ? { secret_rotated: true } : {}),
      },
    }),
  ]);
  return { endpoint: { ...endpoint, ...set }, secret: rotated?.secret ?? null };
}

/** Deletes an endpoint; deliveries already queued for it are dropped when they come up. */
export async function removeEndpoint(ctx: Deps, who: Actor, endpoint: WebhookEndpointRow, nowMs: number) {
  await ctx.db.batch([
    deleteEndpoint(ctx.db, who.tenantId, endpoint.id),
    auditInsert(ctx.db, {
      ...who,
      at: nowMs,
      action: "webhook_endpoint.delete",
      targetType: "webhook_endpoint",
      targetId: endpoint.id,
      detail: { url: endpoint.url },
    }),
  ]);
}

/**
 * Queues a `webhook.test` event for this endpoint alone, whatever it subscribes to; returns the delivery id
 * (its row is in the delivery log at once). 503 when the queue refuses it (the row then stays pending).
 */
export async function sendTestEvent(ctx: Deps, who: Actor, endpoint: WebhookEndpointRow, nowMs: number) {
  const event = newWebhookEvent({
    tenantId: who.tenantId,
    type: "webhook.test",
    subject: endpoint.id,
    data: { endpoint: endpoint.id, sent_by: who.actor },
    at: nowMs,
  });
  const delivery = deliveryOf(event, endpoint, nowMs);
  await ctx.db.batch([
    insertDeliveries(ctx.db, [delivery.row]),
    auditInsert(ctx.db, {
      ...who,
      at: nowMs,
      action: "webhook_endpoint.test",
      targetType: "webhook_endpoint",
      targetId: endpoint.id,
      detail: { event: event.id },
    }),
  ]);
  try {
    await ctx.env.WEBHOOK_QUEUE.send(delivery.message);
  } catch {
    throw new ProblemError("temporarily_unavailable", "The webhook queue is unavailable; try again.");
  }
  return delivery.row;
}
