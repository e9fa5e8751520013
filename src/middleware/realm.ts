/**
 * The realm of a request under `/t/{tenant}/...`: the tenant slug from the path, checked for shape and
 * existence, becomes `ctxOf(c).realm`, so every OAuth route mounted under the prefix (token, JWKS, metadata,
 * and whatever is added to the same sub-app) serves that tenant's issuer. The default tenant is served at
 * the root only; `/t/default` is no path (one issuer, one spelling). Unknown tenants get a 404 problem.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { problems } from "../domain/errors";
import { DEFAULT_TENANT_ID } from "../domain/management";
import { isTenantIdShape } from "../domain/realms";
import { tenantExists } from "../services/realms";
import { ctxOf } from "./request-context";

/** Resolves the `:tenant` path parameter into the request context's realm, or 404. */
export function resolveRealm(): MiddlewareHandler<AppEnv> {
  return async function realm(c, next) {
    const tenant = c.req.param("tenant") ?? "";
    const ctx = ctxOf(c);
    if (tenant === DEFAULT_TENANT_ID || !isTenantIdShape(tenant) || !(await tenantExists(ctx, tenant)))
      throw problems.notFound("tenant");
    ctx.realm = tenant;
    await next();
  };
}
