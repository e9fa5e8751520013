/**
 * /api/v1/credentials/{id}/federated-identities: create, list and delete a credential's federated identities
 * (trust rules for RFC 8693 token exchange), and the admin's dry run, which says which rule a subject token
 * matches or which condition each rule failed. The dry run is for admins only, never the token endpoint, whose
 * answer stays one fixed error.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { requireCredential } from "../../services/credentials";
import {
  createFederatedIdentity,
  dryRunSubjectToken,
  federatedIdentitiesOf,
  removeFederatedIdentity,
} from "../../services/federated-identities";
import { createFederatedIdentitySchema, testSubjectTokenSchema } from "./federation-schemas";
import { federatedIdentityView } from "./federation-views";

const read = requireScope("credentials:read");
const write = requireScope("credentials:write");

export const federatedIdentityRoutes = new Hono<AppEnv>();

federatedIdentityRoutes.post(
  "/:id/federated-identities",
  write,
  validate("json", createFederatedIdentitySchema),
  async (c) => {
    const body = c.req.valid("json");
    const who = auditContext(c);
    const ctx = ctxOf(c);
    const nowMs = ctx.clock();
    const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
    const input = {
      preset: body.preset,
      issuer: body.issuer,
      audience: body.audience,
      subject: body.subject,
      claims: body.claims,
      maxTokenLifetime: body.max_token_lifetime,
    };
    const row = await createFederatedIdentity(ctx, who, credential, input, nowMs);
    const location = `/api/v1/credentials/${credential.id}/federated-identities/${row.id}`;
    return c.json(federatedIdentityView(row), 201, { ...NO_STORE_HEADERS, Location: location });
  },
);

federatedIdentityRoutes.get("/:id/federated-identities", read, async (c) => {
  const ctx = ctxOf(c);
  const credential = await requireCredential(ctx, c.var.principal.tenantId, c.req.param("id"));
  const rows = await federatedIdentitiesOf(ctx, credential);
  return c.json({ federated_identities: rows.map(federatedIdentityView) }, 200, NO_STORE_HEADERS);
});

federatedIdentityRoutes.post(
  "/:id/federated-identities/test",
  read,
  validate("json", testSubjectTokenSchema),
  async (c) => {
    const ctx = ctxOf(c);
    const credential = await requireCredential(ctx, c.var.principal.tenantId, c.req.param("id"));
    const result = await dryRunSubjectToken(ctx, credential, c.req.valid("json").subject_token, ctx.clock());
    return c.json(result, 200, NO_STORE_HEADERS);
  },
);

federatedIdentityRoutes.delete("/:id/federated-identities/:fid", write, async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  await removeFederatedIdentity(ctx, who, credential, c.req.param("fid"), nowMs);
  const rows = await federatedIdentitiesOf(ctx, credential);
  return c.json({ federated_identities: rows.map(federatedIdentityView) }, 200, NO_STORE_HEADERS);
});
