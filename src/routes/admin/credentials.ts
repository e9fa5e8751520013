/**
 * /api/v1/credentials: create (with a secret or a setup code), list, read, change groups or narrow grants,
 * rotate and retire secrets, make setup codes, retire public keys, revoke.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context";
import { DEFAULT_ROTATION_GRACE_SECONDS } from "../../domain/credential-rules";
import { problems } from "../../domain/errors";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { NO_STORE_HEADERS } from "../../middleware/error-handler";
import { ctxOf } from "../../middleware/request-context";
import { validate } from "../../middleware/validate";
import { retireCredentialKey } from "../../services/client-keys";
import { changeCredential } from "../../services/credential-update";
import {
  createCredential,
  requireCredential,
  retireCredentialSecret,
  revokeCredential,
  rotateSecret,
} from "../../services/credentials";
import { createCredentialWithSetupCode, issueSetupCode, type IssuedSetupCode } from "../../services/setup-codes";
import type { RequestContext } from "../../context";
import { credentialDetail, tenantCredentials } from "../../services/admin-reads";
import type { CredentialRow } from "../../storage/schema";
import { credentialView, iso, secretView } from "./views";
import {
  createCredentialSchema,
  createSetupCodeSchema,
  listCredentialsQuery,
  patchCredentialSchema,
  revokeSchema,
  rotateSecretSchema,
} from "./schemas";

const read = requireScope("credentials:read");
const write = requireScope("credentials:write");

/**
 * The full view of one credential, re-read after any change: secrets, public keys and the state of its
 * latest setup code. Every response that returns an existing credential uses it, so there is one shape.
 */
async function detailView(ctx: RequestContext, credential: CredentialRow, nowMs: number) {
  const detail = await credentialDetail(ctx, credential, nowMs);
  return credentialView(ctx.config, detail.credential, nowMs, detail.secrets, {
    keys: detail.keys,
    setup: detail.setup,
    guardrails: detail.guardrails,
  });
}

/**
 * The detail view after a committed change. D1 already holds the change, so a failed re-read must not turn
 * it into an error (a rotation's new secret would be lost): it answers the credential as known here, without
 * its secrets, keys and setup code, and logs the failure.
 */
async function committedView(
  ctx: RequestContext,
  credential: CredentialRow,
  nowMs: number,
  known: Partial<CredentialRow> = {},
) {
  try {
    return await detailView(ctx, credential, nowMs);
  } catch (err) {
    ctx.log.error("detail_read_failed", { credential: credential.id, error: String(err) });
    return credentialView(ctx.config, { ...credential, ...known }, nowMs);
  }
}

/** The setup code as shown once to the admin. */
const setupCodeView = (s: IssuedSetupCode) => ({
  code: s.code,
  expires_at: iso(s.expiresAt),
  command: s.command,
  mode: s.mode,
});

export const credentialRoutes = new Hono<AppEnv>();

credentialRoutes.post("/", write, validate("json", createCredentialSchema), async (c) => {
  const body = c.req.valid("json");
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const input = {
    label: body.label,
    grants: body.grants,
    groups: [...new Set(body.groups)],
    expiresAt: body.expires_at ? Date.parse(body.expires_at) : null,
    tokenLifetime: body.token_lifetime ?? null,
    networkPolicy: body.network ?? null,
    quotaPolicy: body.quota ?? null,
    requireDpop: body.require_dpop ?? false,
  };
  const headers = (id: string) => ({ ...NO_STORE_HEADERS, Location: `/api/v1/credentials/${id}` });
  if (body.delivery === "setup_code") {
    const created = await createCredentialWithSetupCode(ctx, auditContext(c), input, body.mode ?? "key", nowMs);
    const view = credentialView(ctx.config, created.credential, nowMs, [], { keys: [], setup: created.setupRow });
    return c.json({ ...view, setup_code: setupCodeView(created.setupCode) }, 201, headers(view.id));
  }
  const created = await createCredential(ctx, auditContext(c), input, nowMs);
  const view = credentialView(ctx.config, created.credential, nowMs, created.secrets);
  return c.json({ ...view, client_secret: created.clientSecret }, 201, headers(view.id));
});

credentialRoutes.get("/", read, validate("query", listCredentialsQuery), async (c) => {
  const q = c.req.valid("query");
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const storedStatus = q.status === "expired" ? "active" : q.status;
  const rows = await tenantCredentials(ctx, c.var.principal.tenantId, {
    status: storedStatus,
    group: q.group,
    limit: q.limit,
  });
  const views = rows.map((r) => credentialView(ctx.config, r, nowMs)).filter((v) => !q.status || v.status === q.status);
  return c.json({ credentials: views }, 200, NO_STORE_HEADERS);
});

credentialRoutes.get("/:id", read, async (c) => {
  const ctx = ctxOf(c);
  const credential = await requireCredential(ctx, c.var.principal.tenantId, c.req.param("id"));
  return c.json(await detailView(ctx, credential, ctx.clock()), 200, NO_STORE_HEADERS);
});

credentialRoutes.patch("/:id", write, validate("json", patchCredentialSchema), async (c) => {
  const body = c.req.valid("json");
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  const patch = {
    groups: body.groups ? [...new Set(body.groups)] : undefined,
    grants: body.grants,
    networkPolicy: body.network,
    quotaPolicy: body.quota,
    requireDpop: body.require_dpop,
  };
  await changeCredential(ctx, who, credential, patch, nowMs);
  const known = {
    groups: patch.groups ?? credential.groups,
    grants: patch.grants ?? credential.grants,
    networkPolicy: patch.networkPolicy === undefined ? credential.networkPolicy : patch.networkPolicy,
    quotaPolicy: patch.quotaPolicy === undefined ? credential.quotaPolicy : patch.quotaPolicy,
    requireDpop: patch.requireDpop ?? credential.requireDpop,
  };
  return c.json(await committedView(ctx, credential, nowMs, known), 200, NO_STORE_HEADERS);
});

credentialRoutes.post("/:id/revoke", write, validate("json", revokeSchema), async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  if (c.req.valid("json").confirm_label !== credential.label) {
    throw problems.badRequest("confirm_label must equal the credential's label exactly.");
  }
  if (credential.status === "revoked") throw problems.conflict("This credential is already revoked.");
  await revokeCredential(ctx, who, credential, nowMs);
  const known = { status: "revoked" as const, revokedAt: nowMs, revokedBy: who.actor };
  return c.json(await committedView(ctx, credential, nowMs, known), 200, NO_STORE_HEADERS);
});

credentialRoutes.post("/:id/secrets", write, validate("json", rotateSecretSchema), async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  if (credential.status === "revoked") throw problems.conflict("A revoked credential cannot get a new secret.");
  const grace = c.req.valid("json").grace_period_seconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
  const rotated = await rotateSecret(ctx, who, credential, grace, nowMs);
  const view = await committedView(ctx, credential, nowMs);
  return c.json(
    { secret: secretView(rotated.secret, nowMs), client_secret: rotated.clientSecret, credential: view },
    201,
    NO_STORE_HEADERS,
  );
});

credentialRoutes.delete("/:id/secrets/:secretId", write, async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  await retireCredentialSecret(ctx, who, credential, c.req.param("secretId"), nowMs);
  return c.json(await committedView(ctx, credential, nowMs), 200, NO_STORE_HEADERS);
});

credentialRoutes.post("/:id/setup-codes", write, validate("json", createSetupCodeSchema), async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  const issued = await issueSetupCode(ctx, who, credential, c.req.valid("json").mode, nowMs);
  return c.json(
    { setup_code: setupCodeView(issued.setupCode), credential: await committedView(ctx, credential, nowMs) },
    201,
    NO_STORE_HEADERS,
  );
});

credentialRoutes.delete("/:id/keys/:keyId", write, async (c) => {
  const who = auditContext(c);
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const credential = await requireCredential(ctx, who.tenantId, c.req.param("id"));
  await retireCredentialKey(ctx, who, credential, c.req.param("keyId"), nowMs);
  return c.json(await committedView(ctx, credential, nowMs), 200, NO_STORE_HEADERS);
});
