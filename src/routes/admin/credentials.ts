/** /api/v1/credentials: create, list, read, change groups or narrow grants, rotate and retire secrets, revoke. */
import { Hono } from "hono";
import type { AppEnv } from "../../app";
import { checkGrants, DEFAULT_ROTATION_GRACE_SECONDS, isNarrowing } from "../../domain/credential-rules";
import { problems } from "../../domain/errors";
import { auditContext, requireScope } from "../../middleware/admin-auth";
import { validate } from "../../middleware/validate";
import { publishCredentialChange } from "../../services/credential-changes";
import { createCredential, requireCredential, revokeCredential, rotateSecret } from "../../services/credentials";
import { auditInsert } from "../../storage/audit";
import { listCredentials, listSecrets, retireSecret, updateCredential } from "../../storage/credentials";
import { primaryDb } from "../../storage/db";
import { listResources } from "../../storage/resources";
import { credentialView, secretView } from "./views";
import {
  createCredentialSchema,
  listCredentialsQuery,
  patchCredentialSchema,
  revokeSchema,
  rotateSecretSchema,
} from "./schemas";

const NO_STORE = { "Cache-Control": "no-store" };
const read = requireScope("credentials:read");
const write = requireScope("credentials:write");

export const credentialRoutes = new Hono<AppEnv>();

credentialRoutes.post("/", write, validate("json", createCredentialSchema), async (c) => {
  const body = c.req.valid("json");
  const nowMs = Date.now();
  const created = await createCredential(
    c.env,
    auditContext(c),
    {
      label: body.label,
      grants: body.grants,
      groups: [...new Set(body.groups)],
      expiresAt: body.expires_at ? Date.parse(body.expires_at) : null,
      tokenLifetime: body.token_lifetime ?? null,
    },
    nowMs,
  );
  const view = credentialView(created.credential, nowMs, created.secrets);
  return c.json({ ...view, client_secret: created.clientSecret }, 201, { ...NO_STORE, Location: `/api/v1/credentials/${view.id}` });
});

credentialRoutes.get("/", read, validate("query", listCredentialsQuery), async (c) => {
  const q = c.req.valid("query");
  const nowMs = Date.now();
  const storedStatus = q.status === "expired" ? "active" : q.status;
  const rows = await listCredentials(primaryDb(c.env.DB), c.var.principal.tenantId, { status: storedStatus, group: q.group, limit: q.limit });
  const views = rows.map((r) => credentialView(r, nowMs)).filter((v) => !q.status || v.status === q.status);
  return c.json({ credentials: views }, 200, NO_STORE);
});

credentialRoutes.get("/:id", read, async (c) => {
  const credential = await requireCredential(c.env, c.var.principal.tenantId, c.req.param("id"));
  const secrets = await listSecrets(primaryDb(c.env.DB), credential.tenantId, credential.id);
  return c.json(credentialView(credential, Date.now(), secrets), 200, NO_STORE);
});

credentialRoutes.patch("/:id", write, validate("json", patchCredentialSchema), async (c) => {
  const body = c.req.valid("json");
  const who = auditContext(c);
  const nowMs = Date.now();
  const db = primaryDb(c.env.DB);
  const credential = await requireCredential(c.env, who.tenantId, c.req.param("id"));
  if (credential.status === "revoked") throw problems.conflict("A revoked credential cannot be changed.");
  if (body.grants) {
    const grantProblem = checkGrants(body.grants, await listResources(db, who.tenantId));
    if (grantProblem) throw problems.badRequest(grantProblem);
    if (!isNarrowing(credential.grants, body.grants)) {
      throw problems.badRequest("Grants may only shrink after creation; a scope can be granted only when a credential is created.");
    }
  }
  const patch = { groups: body.groups ? [...new Set(body.groups)] : undefined, grants: body.grants };
  const detail = { before: { groups: credential.groups, grants: credential.grants }, after: patch };
  await db.batch([
    updateCredential(db, who.tenantId, credential.id, patch),
    auditInsert(db, { ...who, at: nowMs, action: "credential.update", targetType: "credential", targetId: credential.id, detail }),
  ]);
  await publishCredentialChange(c.env, who.tenantId, credential.id, nowMs);
  const updated = await requireCredential(c.env, who.tenantId, credential.id);
  return c.json(credentialView(updated, nowMs, await listSecrets(db, who.tenantId, credential.id)), 200, NO_STORE);
});

credentialRoutes.post("/:id/revoke", write, validate("json", revokeSchema), async (c) => {
  const who = auditContext(c);
  const nowMs = Date.now();
  const credential = await requireCredential(c.env, who.tenantId, c.req.param("id"));
  if (c.req.valid("json").confirm_label !== credential.label) {
    throw problems.badRequest("confirm_label must equal the credential's label exactly.");
  }
  if (credential.status === "revoked") throw problems.conflict("This credential is already revoked.");
  await revokeCredential(c.env, who, credential, nowMs);
  const updated = await requireCredential(c.env, who.tenantId, credential.id);
  return c.json(credentialView(updated, nowMs, await listSecrets(primaryDb(c.env.DB), who.tenantId, credential.id)), 200, NO_STORE);
});

credentialRoutes.post("/:id/secrets", write, validate("json", rotateSecretSchema), async (c) => {
  const who = auditContext(c);
  const nowMs = Date.now();
  const credential = await requireCredential(c.env, who.tenantId, c.req.param("id"));
  if (credential.status === "revoked") throw problems.conflict("A revoked credential cannot get a new secret.");
  const grace = c.req.valid("json").grace_period_seconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
  const rotated = await rotateSecret(c.env, who, credential, grace, nowMs);
  const secrets = await listSecrets(primaryDb(c.env.DB), who.tenantId, credential.id);
  return c.json(
    { secret: secretView(rotated.secret, nowMs), client_secret: rotated.clientSecret, credential: credentialView(credential, nowMs, secrets) },
    201,
    NO_STORE,
  );
});

credentialRoutes.delete("/:id/secrets/:secretId", write, async (c) => {
  const who = auditContext(c);
  const nowMs = Date.now();
  const db = primaryDb(c.env.DB);
  const credential = await requireCredential(c.env, who.tenantId, c.req.param("id"));
  const secret = (await listSecrets(db, who.tenantId, credential.id)).find((s) => s.id === c.req.param("secretId"));
  if (!secret) throw problems.notFound("secret");
  if (secret.retiredAt !== null) throw problems.conflict("This secret is already retired.");
  await db.batch([
    retireSecret(db, credential.id, secret.id, nowMs),
    auditInsert(db, { ...who, at: nowMs, action: "credential.secret.retire", targetType: "credential", targetId: credential.id, detail: { secret: secret.id, hint: secret.hint } }),
  ]);
  await publishCredentialChange(c.env, who.tenantId, credential.id, nowMs);
  return c.json(credentialView(credential, nowMs, await listSecrets(db, who.tenantId, credential.id)), 200, NO_STORE);
});
