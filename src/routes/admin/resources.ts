/** /api/v1/resources: the APIs tokens are for, and the scope catalog each one owns (services/resources.ts). */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { createResource, tenantResources } from "../../services/resources";
import { createResourceSchema } from "./schemas";
import { resourceView } from "./views";

export const resourceRoutes = new Hono<AppEnv>();

resourceRoutes.get("/", requireScope("resources:read"), async (c) => {
  const rows = await tenantResources(ctxOf(c), c.var.principal.tenantId);
  return c.json({ resources: rows.map(resourceView) });
});

resourceRoutes.post("/", requireScope("resources:write"), validate("json", createResourceSchema), async (c) => {
  const ctx = ctxOf(c);
  const row = await createResource(ctx, auditContext(c), c.req.valid("json"), ctx.clock());
  return c.json(resourceView(row), 201, { Location: `/api/v1/resources/${row.id}` });
});
