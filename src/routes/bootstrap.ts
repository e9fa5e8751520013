/**
 * POST /api/v1/bootstrap: creates (or, with `recreate`, replaces) the first management credential in the
 * default tenant (services/bootstrap.ts). Enabled only when the BOOTSTRAP_TOKEN secret is set; the caller
 * presents it as a Bearer token (middleware/bootstrap-auth.ts). `npm run bootstrap` calls it; docs/deploy.md
 * tells how for production.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { bootstrapAuth } from "../middleware/bootstrap-auth";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { clientIp } from "../middleware/rate-limit";
import { ctxOf } from "../middleware/request-context";
import { validate } from "../middleware/validate";
import { bootstrapCredential } from "../services/bootstrap";
import { bootstrapSchema } from "./admin/schemas";

export const bootstrapRoutes = new Hono<AppEnv>();

bootstrapRoutes.post("/api/v1/bootstrap", bootstrapAuth(), validate("json", bootstrapSchema), async (c) => {
  const ctx = ctxOf(c);
  const facts = { ip: clientIp(c), userAgent: c.req.header("user-agent") ?? null };
  const created = await bootstrapCredential(ctx, facts, c.req.valid("json").recreate, ctx.clock());
  return c.json(
    {
      issuer: ctx.config.issuer,
      client_id: created.clientId,
      client_secret: created.clientSecret,
      resource: created.resource,
    },
    201,
    NO_STORE_HEADERS,
  );
});
