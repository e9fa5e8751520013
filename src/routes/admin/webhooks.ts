/**
 * /api/v1/webhooks: a tenant's webhook endpoints (create with a once-shown `whsec_` secret, list, read,
 * change, rotate the secret, delete), "send test event", and each endpoint's delivery log. Events carry
 * credential metadata, so subscribing needs credentials:read besides webhooks:write.
 */
import { Hono } from "hono";
import { SUBSCRIBABLE_EVENT_TYPES } from "../../domain/webhook-events";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { endpointDeliveries, tenantEndpoints } from "../../services/webhook-reads";
import {
  changeEndpoint,
  createEndpoint,
  removeEndpoint,
  requireEndpoint,
  sendTestEvent,
} from "../../services/webhook-endpoints";
import {
  createEndpointSchema,
  deliveriesQuery,
  deliveryView,
  endpointView,
  patchEndpointSchema,
} from "./webhook-schemas";

const read = requireScope("webhooks:read");
const write = requireScope("webhooks:write");
const seesCredentials = requireScope("credentials:read");

export const webhookRoutes = new Hono<AppEnv>();

webhookRoutes.post("/", write, seesCredentials, validate("json", createEndpointSchema), async (c) => {
  const body = c.req.valid("json");
  const ctx = ctxOf(c);
  const input = { url: body.url, description: body.description, eventTypes: body.event_types };
  const created = await createEndpoint(ctx, auditContext(c), input, ctx.clock());
  return c.json({ ...endpointView(created.endpoint), secret: created.secret }, 201, {
    ...NO_STORE_HEADERS,
    Location: `/api/v1/webhooks/${created.endpoint.id}`,
  });
});

webhookRoutes.get("/", read, async (c) => {
  const rows = await tenantEndpoints(ctxOf(c), c.var.principal.tenantId);
  // The event types an endpoint may subscribe to, so the console offers exactly the server's catalog.
  return c.json({ endpoints: rows.map(endpointView), event_types: SUBSCRIBABLE_EVENT_TYPES }, 200, NO_STORE_HEADERS);
});

webhookRoutes.get("/:id", read, async (c) => {
  const endpoint = await requireEndpoint(ctxOf(c), c.var.principal.tenantId, c.req.param("id"));
  return c.json(endpointView(endpoint), 200, NO_STORE_HEADERS);
});

webhookRoutes.patch("/:id", write, seesCredentials, validate("json", patchEndpointSchema), async (c) => {
  const body = c.req.valid("json");
  const ctx = ctxOf(c);
  const who = auditContext(c);
  const endpoint = await requireEndpoint(ctx, who.tenantId, c.req.param("id"));
  const patch = {
    url: body.url,
    description: body.description,
    eventTypes: body.event_types,
    enabled: body.enabled,
    rotateSecret: body.rotate_secret === true,
  };
  const changed = await changeEndpoint(ctx, who, endpoint, patch, ctx.clock());
  const view = endpointView(changed.endpoint);
  return c.json(changed.secret ? { ...view, secret: changed.secret } : view, 200, NO_STORE_HEADERS);
});

webhookRoutes.delete("/:id", write, async (c) => {
  const ctx = ctxOf(c);
  const who = auditContext(c);
  const endpoint = await requireEndpoint(ctx, who.tenantId, c.req.param("id"));
  await removeEndpoint(ctx, who, endpoint, ctx.clock());
  return c.body(null, 204, NO_STORE_HEADERS);
});

webhookRoutes.post("/:id/test", write, async (c) => {
  const ctx = ctxOf(c);
  const who = auditContext(c);
  const endpoint = await requireEndpoint(ctx, who.tenantId, c.req.param("id"));
  const delivery = await sendTestEvent(ctx, who, endpoint, ctx.clock());
  return c.json(deliveryView(delivery), 202, NO_STORE_HEADERS);
});

webhookRoutes.get("/:id/deliveries", read, validate("query", deliveriesQuery), async (c) => {
  const ctx = ctxOf(c);
  const tenantId = c.var.principal.tenantId;
  const endpoint = await requireEndpoint(ctx, tenantId, c.req.param("id"));
  const rows = await endpointDeliveries(ctx, tenantId, endpoint.id, c.req.valid("query").limit);
  return c.json({ deliveries: rows.map(deliveryView) }, 200, NO_STORE_HEADERS);
});
