/** /api/v1/members: the tenant's people. Owners and admins read; only owners change roles or remove people. */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { validate } from "../../middleware/validate";
import { ctxOf } from "../../middleware/request-context";
import { members } from "../../services/admin-reads";
import { changeRole, removeMember } from "../../services/members";
import { patchMemberSchema } from "./people-schemas";
import { memberView } from "./people-views";

export const memberRoutes = new Hono<AppEnv>();

memberRoutes.get("/", requireScope("members:read"), async (c) => {
  const rows = await members(ctxOf(c), c.var.principal.tenantId);
  return c.json({ members: rows.map(memberView) }, 200, NO_STORE_HEADERS);
});

memberRoutes.patch("/:id", requireScope("members:write"), validate("json", patchMemberSchema), async (c) => {
  const updated = await changeRole(
    ctxOf(c),
    auditContext(c),
    c.req.param("id"),
    c.req.valid("json").role,
    ctxOf(c).clock(),
  );
  return c.json(memberView(updated), 200, NO_STORE_HEADERS);
});

memberRoutes.delete("/:id", requireScope("members:write"), async (c) => {
  await removeMember(ctxOf(c), auditContext(c), c.req.param("id"), ctxOf(c).clock());
  return c.body(null, 204, NO_STORE_HEADERS);
});
