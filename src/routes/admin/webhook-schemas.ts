/**
 * Request shapes and wire views of webhook endpoints, their delivery log and the tenant's alert settings.
 * The schemas also feed the OpenAPI document; views never carry the signing secret (only its hint).
 */
import { z } from "zod";
import { SUBSCRIBABLE_EVENT_TYPES } from "../../domain/webhook-events";
import type { TenantAlertSettingsRow, WebhookDeliveryRow, WebhookEndpointRow } from "../../storage/schema";
import { iso } from "./views";

const eventTypes = z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)).min(1).max(SUBSCRIBABLE_EVENT_TYPES.length);
const url = z.string().min(1).max(2048);
const description = z.string().trim().max(200);

export const createEndpointSchema = z.strictObject({
  url,
  description: description.default(""),
  event_types: eventTypes,
});

export const patchEndpointSchema = z
  .strictObject({
    url: url.optional(),
    description: description.optional(),
    event_types: eventTypes.optional(),
    enabled: z.boolean().optional(),
    rotate_secret: z.literal(true).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "Change at least one field");

export const deliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const alertSettingsSchema = z.strictObject({
  leaked_secret_action: z.enum(["retire", "notify"]),
  stale_after_days: z.number().int().min(1).max(365),
});

export function endpointView(e: WebhookEndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    event_types: e.eventTypes,
    enabled: e.enabled,
    secret_hint: e.secretHint,
    created_at: iso(e.createdAt),
    created_by: e.createdBy,
    updated_at: iso(e.updatedAt),
  };
}

export function deliveryView(d: WebhookDeliveryRow) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
    next_attempt_at: d.status === "retrying" ? iso(d.nextAttemptAt) : null,
  };
}

export function alertSettingsView(s: Pick<TenantAlertSettingsRow, "leakedSecretAction" | "staleAfterDays">) {
  return { leaked_secret_action: s.leakedSecretAction, stale_after_days: s.staleAfterDays };
}
