/** /api/v1/sessions: people list and end console sessions; owners see and end everyone's in the tenant. */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import type { PersonPrincipal } from "../../domain/principals";
import { auditContext, requirePerson } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { sessions } from "../../services/admin-reads";
import { endSession } from "../../services/people";
import { sessionView } from "./people-views";

export const sessionRoutes = new Hono<AppEnv>();
sessionRoutes.use("*", requirePerson());

sessionRoutes.get("/", async (c) => {
  const p = c.var.principal as PersonPrincipal;
  const all = p.scopes.has("sessions:read:all");
  const rows = await sessions(ctxOf(c), p.tenantId, all ? undefined : p.user.id);
  const currentId = p.session?.id ?? null;
  return c.json({ sessions: rows.map((r) => sessionView(r.session, r, currentId)) }, 200, NO_STORE_HEADERS);
});

sessionRoutes.delete("/:id", async (c) => {
  const p = c.var.principal as PersonPrincipal;
  const who = { ...auditContext(c), userId: p.user.id, anyone: p.scopes.has("sessions:write:all") };
  await endSession(ctxOf(c), who, c.req.param("id"), ctxOf(c).clock());
  return c.body(null, 204, NO_STORE_HEADERS);
});
