/** /api/v1/invitations: owners invite people with a role; the link is shown once, when it is created. */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { validate } from "../../middleware/validate";
import { ctxOf } from "../../middleware/request-context";
import { invitations } from "../../services/admin-reads";
import { createInvitation, revokeInvitation } from "../../services/people";
import { createInvitationSchema } from "./people-schemas";
import { iso } from "./views";
import { invitationView } from "./people-views";

const owner = requireScope("members:write");

export const invitationRoutes = new Hono<AppEnv>();

invitationRoutes.post("/", owner, validate("json", createInvitationSchema), async (c) => {
  const { email, role } = c.req.valid("json");
  const { invitation, url } = await createInvitation(ctxOf(c), auditContext(c), email, role, ctxOf(c).clock());
  return c.json({ id: invitation.id, email, role, expires_at: iso(invitation.expiresAt), url }, 201, NO_STORE_HEADERS);
});

invitationRoutes.get("/", owner, async (c) => {
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const rows = await invitations(ctx, c.var.principal.tenantId);
  return c.json({ invitations: rows.map((r) => invitationView(r, nowMs)) }, 200, NO_STORE_HEADERS);
});

invitationRoutes.delete("/:id", owner, async (c) => {
  await revokeInvitation(ctxOf(c), auditContext(c), c.req.param("id"), ctxOf(c).clock());
  return c.body(null, 204, NO_STORE_HEADERS);
});
