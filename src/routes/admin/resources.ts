/** /api/v1/resources: the APIs tokens are for, and the scope catalog each one owns. */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { problems } from "../../domain/errors";
import { newId } from "../../crypto/secrets";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { validate } from "../../middleware/validate";
import { auditInsert } from "../../storage/audit";
import { primaryDb } from "../../storage/db";
import { insertResource, listResources } from "../../storage/resources";
import type { ResourceRow } from "../../storage/schema";
import { createResourceSchema } from "./schemas";
import { resourceView } from "./views";

export const resourceRoutes = new Hono<AppEnv>();

resourceRoutes.get("/", requireScope("resources:read"), async (c) => {
  const rows = await listResources(primaryDb(c.env.DB), c.var.principal.tenantId);
  return c.json({ resources: rows.map(resourceView) });
});

resourceRoutes.post("/", requireScope("resources:write"), validate("json", createResourceSchema), async (c) => {
  const body = c.req.valid("json");
  const who = auditContext(c);
  const nowMs = Date.now();
  const names = body.scopes.map((s) => s.name);
  if (new Set(names).size !== names.length) throw problems.badRequest("Scope names must be unique within a resource.");
  const db = primaryDb(c.env.DB);
  if ((await listResources(db, who.tenantId)).some((r) => r.uri === body.uri)) {
    throw problems.conflict("A resource with this URI already exists.");
  }
  const row: ResourceRow = {
    id: newId("res"),
    tenantId: who.tenantId,
    uri: body.uri,
    name: body.name,
    scopes: body.scopes,
    builtin: false,
    createdAt: nowMs,
    createdBy: who.actor,
  };
  try {
    await db.batch([
      insertResource(db, row),
      auditInsert(db, { ...who, at: nowMs, action: "resource.create", targetType: "resource", targetId: row.id, detail: { uri: row.uri, scopes: names } }),
    ]);
  } catch (err) {
    if (String(err).includes("UNIQUE constraint failed")) throw problems.conflict("A resource with this URI already exists.");
    throw err;
  }
  return c.json(resourceView(row), 201, { Location: `/api/v1/resources/${row.id}` });
});
