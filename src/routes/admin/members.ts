/** /api/v1/members: the tenant's people. Owners and admins read; only owners change roles or remove people. */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { validate } from "../../middleware/validate";
import { changeRole, removeMember } from "../../services/people";
import { primaryDb } from "../../storage/db";
import { listUsers } from "../../storage/people";
import { patchMemberSchema } from "./people-schemas";
import { memberView } from "./people-views";

export const memberRoutes = new Hono<AppEnv>();

memberRoutes.get("/", requireScope("members:read"), async (c) => {
  const rows = await listUsers(primaryDb(c.env.DB), c.var.principal.tenantId);
  return c.json({ members: rows.map(memberView) }, 200, NO_STORE_HEADERS);
});

memberRoutes.patch("/:id", requireScope("members:write"), validate("json", patchMemberSchema), async (c) => {
  const updated = await changeRole(c.env, auditContext(c), c.req.param("id"), c.req.valid("json").role, Date.now());
  return c.json(memberView(updated), 200, NO_STORE_HEADERS);
});

memberRoutes.delete("/:id", requireScope("members:write"), async (c) => {
  await removeMember(c.env, auditContext(c), c.req.param("id"), Date.now());
  return c.body(null, 204, NO_STORE_HEADERS);
});
