/**
 * /api/v1/alert-settings: the tenant's alert policy (leaked-secret action, stale threshold). Reading needs
 * webhooks:read; changing needs webhooks:write and credentials:write, since "notify" turns off the automatic
 * retirement of leaked secrets.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { updateAlertSettings } from "../../services/alert-settings";
import { alertSettings } from "../../services/webhook-reads";
import { alertSettingsSchema, alertSettingsView } from "./webhook-schemas";

export const alertSettingsRoutes = new Hono<AppEnv>();

alertSettingsRoutes.get("/", requireScope("webhooks:read"), async (c) => {
  const settings = await alertSettings(ctxOf(c), c.var.principal.tenantId);
  return c.json(alertSettingsView(settings), 200, NO_STORE_HEADERS);
});

alertSettingsRoutes.put(
  "/",
  requireScope("webhooks:write"),
  requireScope("credentials:write"),
  validate("json", alertSettingsSchema),
  async (c) => {
    const body = c.req.valid("json");
    const ctx = ctxOf(c);
    const input = { leakedSecretAction: body.leaked_secret_action, staleAfterDays: body.stale_after_days };
    await updateAlertSettings(ctx, auditContext(c), input, ctx.clock());
    return c.json(alertSettingsView(input), 200, NO_STORE_HEADERS);
  },
);
