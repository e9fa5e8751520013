/**
 * The tenants of the signed-in person (docs/realms.md): GET /api/v1/me/tenants lists where they belong and
 * which one their session is active in; POST /api/v1/me/tenant switches it, checked on the server against
 * their own home row and memberships and audited in both tenants. Console sessions only.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { problems } from "../../domain/errors";
import { issuerFor } from "../../domain/realms";
import { auditContext, requirePerson } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { switchTenant, tenantsOf } from "../../services/memberships";
import { userView } from "./people-views";
import { switchTenantSchema } from "./tenant-schemas";

export const myTenantRoutes = new Hono<AppEnv>();

myTenantRoutes.get("/tenants", requirePerson(), async (c) => {
  const ctx = ctxOf(c);
  const p = c.var.principal;
  if (p.kind !== "person") throw problems.forbidden("This endpoint is for people signed in to the console.");
  const tenants = (await tenantsOf(ctx, p.user.id)).map((t) => ({
    id: t.id,
    name: t.name,
    role: t.role,
    issuer: issuerFor(ctx.config, t.id),
    active: t.id === p.tenantId,
  }));
  return c.json({ active: p.tenantId, tenants }, 200, NO_STORE_HEADERS);
});

myTenantRoutes.post("/tenant", requirePerson(), validate("json", switchTenantSchema), async (c) => {
  const ctx = ctxOf(c);
  const p = c.var.principal;
  if (p.kind !== "person" || !p.session) throw problems.forbidden("Switching tenants needs a console session.");
  const { ip, userAgent } = auditContext(c);
  const target = await switchTenant(
    ctx,
    { user: p.user, session: p.session },
    c.req.valid("json").tenant,
    { ip, userAgent },
    ctx.clock(),
  );
  return c.json(
    { active: target.tenantId, issuer: issuerFor(ctx.config, target.tenantId), user: userView(target) },
    200,
    NO_STORE_HEADERS,
  );
});
