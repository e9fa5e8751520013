/**
 * POST /api/v1/bootstrap: creates (or, with `recreate`, replaces) the first management credential in the
 * default tenant. Enabled only when the BOOTSTRAP_TOKEN secret is set; the caller presents it as a Bearer
 * token (middleware/bootstrap-auth.ts). `npm run bootstrap` calls it; docs/deploy.md tells how for production.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { getConfig } from "../config";
import { SYSTEM_ACTORS } from "../domain/actors";
import { problems } from "../domain/errors";
import { bootstrapAuth } from "../middleware/bootstrap-auth";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { clientIp } from "../middleware/rate-limit";
import { backgroundOf } from "../middleware/background";
import { validate } from "../middleware/validate";
import { createCredential, revokeCredential, type Actor } from "../services/credentials";
import { findActiveByLabel } from "../storage/credentials";
import { primaryDb } from "../storage/db";
import { DEFAULT_TENANT_ID, ensureTenant, MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../storage/tenants";
import { bootstrapSchema } from "./admin/schemas";

export const BOOTSTRAP_LABEL = "latchkey-admin";

export const bootstrapRoutes = new Hono<AppEnv>();

bootstrapRoutes.post("/api/v1/bootstrap", bootstrapAuth(), validate("json", bootstrapSchema), async (c) => {
  const config = getConfig(c.env);
  const nowMs = Date.now();
  const db = primaryDb(c.env.DB);
  await ensureTenant(db, DEFAULT_TENANT_ID, "Default", nowMs);
  // The operator, holder of BOOTSTRAP_TOKEN, holds every management scope.
  const authority = new Set(MANAGEMENT_SCOPES.map((s) => s.name));
  const who: Actor = { tenantId: DEFAULT_TENANT_ID, actor: SYSTEM_ACTORS.bootstrap, ip: clientIp(c), userAgent: c.req.header("user-agent") ?? null, authority };
  const existing = await findActiveByLabel(db, DEFAULT_TENANT_ID, BOOTSTRAP_LABEL);
  if (existing) {
    if (!c.req.valid("json").recreate) {
      throw problems.conflict("The bootstrap credential already exists. Re-run with --recreate to replace it.");
    }
    await revokeCredential(c.env, who, existing, nowMs, backgroundOf(c));
  }
  const created = await createCredential(
    c.env,
    who,
    {
      label: BOOTSTRAP_LABEL,
      grants: [{ resource: MANAGEMENT_RESOURCE, scopes: MANAGEMENT_SCOPES.map((s) => s.name) }],
      groups: ["latchkey-admins"],
      expiresAt: null,
      tokenLifetime: null,
    },
    nowMs,
    backgroundOf(c),
  );
  return c.json(
    { issuer: config.issuer, client_id: created.credential.id, client_secret: created.clientSecret, resource: MANAGEMENT_RESOURCE },
    201,
    NO_STORE_HEADERS,
  );
});
