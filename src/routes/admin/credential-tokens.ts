/**
 * POST /api/v1/credentials/{id}/tokens/revoke: "revoke issued tokens". Every access token the credential
 * holds now stops being accepted by introspection, the admin API and resource servers that read the
 * revocation feed; the credential itself keeps working and mints new tokens. Needs credentials:write;
 * taking tokens away confers nothing, so the authority rule does not limit it. Audited in the same batch.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { problems } from "../../domain/errors";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { requireCredential } from "../../services/credentials";
import { revokeIssuedTokens } from "../../services/token-revocations";
import { iso } from "./views";

export const credentialTokenRoutes = new Hono<AppEnv>();

credentialTokenRoutes.post("/:id/tokens/revoke", requireScope("credentials:write"), async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  if (credential.status === "revoked") throw problems.conflict("A revoked credential's tokens are already revoked.");
  const notBefore = await revokeIssuedTokens(ctx, who, credential, nowMs);
  return c.json({ id: credential.id, tokens_not_before: iso(notBefore) }, 200, NO_STORE_HEADERS);
});
