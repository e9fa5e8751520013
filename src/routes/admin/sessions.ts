/**
 * /api/v1/sessions: people list and end their sessions, console and tool (device grant) alike; owners see and
 * end everyone's in the tenant. Tool sessions have `dvs_` ids and `kind: "device"`.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import type { PersonPrincipal } from "../../domain/principals";
import { auditContext, requirePerson } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { deviceSessions, sessions } from "../../services/admin-reads";
import { endDeviceSession } from "../../services/device-sessions";
import { endSession } from "../../services/people";
import { deviceSessionView } from "./device-views";
import { sessionView } from "./people-views";

export const sessionRoutes = new Hono<AppEnv>();
sessionRoutes.use("*", requirePerson());

sessionRoutes.get("/", async (c) => {
  const p = c.var.principal as PersonPrincipal;
  const all = p.scopes.has("sessions:read:all");
  const rows = await sessions(ctxOf(c), p.tenantId, all ? undefined : p.user.id);
  const currentId = p.session?.id ?? null;
  const tools = await deviceSessions(ctxOf(c), p.tenantId, all ? undefined : p.user.id);
  const toolViews = tools.map((r) => deviceSessionView(r.session, r, p.deviceSessionId ?? null));
  return c.json(
    { sessions: [...rows.map((r) => sessionView(r.session, r, currentId)), ...toolViews] },
    200,
    NO_STORE_HEADERS,
  );
});

sessionRoutes.delete("/:id", async (c) => {
  const p = c.var.principal as PersonPrincipal;
  const who = { ...auditContext(c), userId: p.user.id, anyone: p.scopes.has("sessions:write:all") };
  const id = c.req.param("id");
  if (id.startsWith("dvs_")) await endDeviceSession(ctxOf(c), who, id, ctxOf(c).clock());
  else await endSession(ctxOf(c), who, id, ctxOf(c).clock());
  return c.body(null, 204, NO_STORE_HEADERS);
});
