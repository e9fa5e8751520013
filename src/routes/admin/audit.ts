/** /api/v1/audit: the tenant's audit log, newest first, filtered by actor, action, target and time. */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { requireScope } from "../../middleware/admin-auth";
import { validate } from "../../middleware/validate";
import { ctxOf } from "../../middleware/request-context";
import { auditEvents } from "../../services/admin-reads";
import { auditQuery } from "./schemas";
import { auditEventView } from "./views";

export const auditRoutes = new Hono<AppEnv>();

auditRoutes.get("/", requireScope("audit:read"), validate("query", auditQuery), async (c) => {
  const q = c.req.valid("query");
  const rows = await auditEvents(ctxOf(c), c.var.principal.tenantId, {
    actor: q.actor,
    action: q.action,
    targetId: q.target,
    since: q.since ? Date.parse(q.since) : undefined,
    until: q.until ? Date.parse(q.until) : undefined,
    before: q.before,
    limit: q.limit,
  });
  const last = rows.at(-1);
  return c.json(
    { events: rows.map(auditEventView), next_before: rows.length === q.limit && last ? last.at : null },
    200,
    {
      "Cache-Control": "no-store",
    },
  );
});
