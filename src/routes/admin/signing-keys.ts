/** GET /api/v1/signing-keys: the caller's tenant's signing keys and which one signs now (public facts only). */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { signingKeys } from "../../services/admin-reads";
import { currentKeyRow } from "../../services/signing-key-ring";
import { signingKeyView } from "./people-views";

export const signingKeyRoutes = new Hono<AppEnv>();

signingKeyRoutes.get("/", requireScope("credentials:read"), async (c) => {
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const rows = await signingKeys(ctx, c.var.principal.tenantId);
  const current = currentKeyRow(rows, nowMs)?.kid;
  return c.json({ keys: rows.map((k) => signingKeyView(k, current, nowMs)) }, 200, NO_STORE_HEADERS);
});
