/**
 * /api/v1/device: the console's approval page for device sign-ins (RFC 8628 section 3.3). A person signed in
 * to the console (cookie or Access, never a tool's own token: a tool may not approve more tools) looks a
 * user code up, sees the tool, its host and what their role lets it do, and approves or denies it. Cookie
 * requests pass the CSRF check in admin-auth; decisions are audited. Lookups are limited per person.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../context";
import { problems } from "../../domain/errors";
import type { PersonPrincipal } from "../../domain/principals";
import { auditContext, requirePerson } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { decideAuthorization, pendingAuthorization } from "../../services/device-authorization";
import { withinLimit } from "../../services/rate-limits";
import { DEVICE_START_WINDOW_SECONDS } from "../../tunables";
import { deviceAuthorizationView } from "./device-views";

const userCodeSchema = z.strictObject({ user_code: z.string().min(1).max(32) });

export const deviceApprovalRoutes = new Hono<AppEnv>();

deviceApprovalRoutes.use("*", requirePerson(), async function consoleOnly(c, next) {
  const p = c.var.principal as PersonPrincipal;
  if (p.auth === "token") throw problems.forbidden("Approve device sign-ins in the console, not from a tool.");
  if (!(await withinLimit(ctxOf(c).env.DEVICE_LIMITER, `lookup:${p.user.id}`)))
    throw problems.rateLimited(DEVICE_START_WINDOW_SECONDS);
  await next();
});

deviceApprovalRoutes.post("/lookup", validate("json", userCodeSchema), async (c) => {
  const p = c.var.principal as PersonPrincipal;
  const { row, userCode } = await pendingAuthorization(ctxOf(c), c.req.valid("json").user_code, ctxOf(c).clock());
  return c.json(deviceAuthorizationView(row, userCode, p.user.role), 200, NO_STORE_HEADERS);
});

for (const [path, decision] of [
  ["/approve", "approved"],
  ["/deny", "denied"],
] as const) {
  deviceApprovalRoutes.post(path, validate("json", userCodeSchema), async (c) => {
    const p = c.var.principal as PersonPrincipal;
    const who = { ...auditContext(c), userId: p.user.id };
    const row = await decideAuthorization(ctxOf(c), who, c.req.valid("json").user_code, decision, ctxOf(c).clock());
    return c.json({ status: row.status, client_id: row.clientId, hostname: row.hostname }, 200, NO_STORE_HEADERS);
  });
}
