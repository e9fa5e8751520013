/**
 * The webhooks part of the OpenAPI document: endpoints, test events, the delivery log and the alert settings,
 * with request bodies generated from the same zod schemas the routes validate with (docs/webhooks.md).
 */
import { z } from "zod";
import { alertSettingsSchema, createEndpointSchema, deliveriesQuery, patchEndpointSchema } from "./webhook-schemas";

const json = (schema: z.ZodType) => ({
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } },
});
const problem = {
  description: "RFC 9457 problem details",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const ok = (description: string) => ({ description, content: { "application/json": { schema: { type: "object" } } } });
const errors = { "400": problem, "401": problem, "403": problem, "404": problem, "409": problem };
const secured = (...scopes: string[]) => ({ security: [{ bearer: scopes }, { cookie: scopes }] });
const idParam = [
  { name: "id", in: "path", required: true, schema: { type: "string" }, description: "The endpoint id" },
];
const limitParam = Object.entries(
  (z.toJSONSchema(deliveriesQuery, { io: "input" }) as { properties?: Record<string, unknown> }).properties ?? {},
).map(([name, schema]) => ({ name, in: "query", required: false, schema }));

/** Paths under /api/v1 for webhooks and alert settings. */
export const webhookPaths = {
  "/webhooks": {
    get: {
      summary: "List webhook endpoints",
      ...secured("webhooks:read"),
      responses: {
        "200": ok("{endpoints, event_types}: the endpoints and the event types one may subscribe to"),
        ...errors,
      },
    },
    post: {
      summary: "Add a webhook endpoint; its whsec_ secret is in this response only",
      ...secured("webhooks:write", "credentials:read"),
      requestBody: json(createEndpointSchema),
      responses: { "201": ok("Created, with `secret`"), ...errors },
    },
  },
  "/webhooks/{id}": {
    parameters: idParam,
    get: {
      summary: "Read a webhook endpoint",
      ...secured("webhooks:read"),
      responses: { "200": ok("Endpoint"), ...errors },
    },
    patch: {
      summary: "Change an endpoint; rotate_secret answers the new secret once",
      ...secured("webhooks:write", "credentials:read"),
      requestBody: json(patchEndpointSchema),
      responses: { "200": ok("Changed"), ...errors },
    },
    delete: {
      summary: "Delete an endpoint",
      ...secured("webhooks:write"),
      responses: { "204": { description: "Deleted" }, ...errors },
    },
  },
  "/webhooks/{id}/test": {
    parameters: idParam,
    post: {
      summary: "Queue a webhook.test event for this endpoint",
      ...secured("webhooks:write"),
      responses: { "202": ok("The queued delivery"), ...errors, "503": problem },
    },
  },
  "/webhooks/{id}/deliveries": {
    parameters: idParam,
    get: {
      summary: "The endpoint's delivery log, newest first",
      ...secured("webhooks:read"),
      parameters: limitParam,
      responses: { "200": ok("Deliveries"), ...errors },
    },
  },
  "/alert-settings": {
    get: {
      summary: "The tenant's alert settings",
      ...secured("webhooks:read"),
      responses: { "200": ok("Settings"), ...errors },
    },
    put: {
      summary: "Change what leaked-secret reports do and when a credential is stale",
      ...secured("webhooks:write", "credentials:write"),
      requestBody: json(alertSettingsSchema),
      responses: { "200": ok("Saved"), ...errors },
    },
  },
};
