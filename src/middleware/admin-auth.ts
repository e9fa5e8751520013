/**
 * Authentication and authorization for the admin API. A caller presents `Authorization: Bearer <token>`
 * minted by Latchkey for the management resource (a DPoP-bound one as `Authorization: DPoP <token>` with a
 * proof of its key: middleware/dpop-resource.ts); the token is verified against the keys of the tenant its
 * issuer names (docs/realms.md), and
 * the credential behind it is re-read from the D1 primary on every call, with the secret or key that minted
 * the token (its `authenticator` claim), in one query: revoking an admin credential, or retiring (or letting
 * expire) the authenticator, takes effect at once here even though its tokens stay valid elsewhere; so do
 * "revoke issued tokens" and a token revoked by its client (RFC 7009), read in the same query.
 * Without a bearer token, a person may call the same endpoints with the console session cookie or a
 * Cloudflare Access assertion (middleware/session-auth.ts); their role maps to scopes, and their
 * state-changing requests must pass the CSRF check. A person's access token (from a tool signed in with the
 * device grant) is judged by its device session and the person's current role (middleware/person-token-auth.ts).
 * A management credential's network allow-list is checked here too (services/network-guard.ts), from the row
 * this per-request read already returned.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { peekIssuer, verifyAccessToken } from "../crypto/access-token";
import { credentialStatus, isLive } from "../domain/credential-rules";
import { ProblemError, problems } from "../domain/errors";
import { serviceActor } from "../domain/actors";
import { MANAGEMENT_RESOURCE } from "../domain/management";
import { isPersonTokenClaims } from "../domain/person-token-claims";
import { issuerFor, tenantOfIssuer } from "../domain/realms";
import { tenantExists } from "../services/realms";
import { managementCaller } from "../services/credentials";
import { judgeNetwork } from "../services/network-guard";
import { keyRing } from "../services/signing-key-ring";
import { assertSameOrigin } from "./csrf";
import { assertSchemeMatchesBinding, checkResourceProof } from "./dpop-resource";
import { ctxOf } from "./request-context";
import { personFromToken } from "./person-token-auth";
import { personFromAccess, personFromSession } from "./session-auth";

/**
 * Requires a valid management access token, or else a signed-in person (session cookie first, then
 * Cloudflare Access); sets `principal`. A request with an Authorization header is judged by it alone.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuthentication(c, next) {
    const header = c.req.header("authorization");
    if (header === undefined) {
      const person = (await personFromSession(c, ctxOf(c).clock())) ?? (await personFromAccess(c));
      if (!person) throw problems.unauthorized();
      assertSameOrigin(c);
      c.set("principal", person);
      await next();
      return;
    }
    const match = header ? /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header) : null;
    if (!match?.[2]) throw problems.unauthorized();
    const scheme = match[1].toLowerCase() === "dpop" ? "dpop" : "bearer";
    const token = match[2];
    const ctx = ctxOf(c);
    const nowMs = ctx.clock();
    // The token names its issuer; only that tenant's ring may have signed it, and its tenant claim must agree.
    const tenant = tenantOfIssuer(ctx.config, peekIssuer(token));
    if (!tenant || !(await tenantExists(ctx, tenant))) throw problems.unauthorized();
    const { verifiers } = await keyRing({ db: ctx.db, config: ctx.config, realm: tenant }, nowMs);
    const claims = await verifyAccessToken(token, verifiers, {
      issuer: issuerFor(ctx.config, tenant),
      audience: MANAGEMENT_RESOURCE,
    });
    if (!claims || claims.tenant !== tenant) throw problems.unauthorized();
    const boundJkt = claims.cnf?.jkt;
    assertSchemeMatchesBinding(scheme, boundJkt);
    if (boundJkt !== undefined) await checkResourceProof(ctx, c.req.raw, token, boundJkt, nowMs);
    if (isPersonTokenClaims(claims)) {
      c.set("principal", await personFromToken(ctx, claims, nowMs));
      await next();
      return;
    }
    if (typeof claims.authenticator !== "string") throw problems.unauthorized();
    const found = await managementCaller(ctx, claims.tenant, claims.client_id, claims.authenticator, claims.jti);
    if (!found || credentialStatus(found.credential, nowMs) !== "active") throw problems.unauthorized();
    if (!found.authenticator || !isLive(found.authenticator, nowMs)) throw problems.unauthorized();
    const { credential } = found;
    // Revoked issued tokens (a not-before time) and a token revoked by its client (RFC 7009) end here at once.
    if (found.tokenRevoked || claims.iat * 1000 < (credential.tokensNotBefore ?? 0)) throw problems.unauthorized();
    if (judgeNetwork(ctx, credential, c.req.header("cf-connecting-ip"), "admin_api", nowMs) === "deny") {
      throw new ProblemError("network_not_allowed", "This credential may not call the admin API from this network.");
    }
    // The token's scopes, as far as the credential still holds them: a narrowed grant binds tokens already issued.
    const held = new Set(credential.grants.find((g) => g.resource === MANAGEMENT_RESOURCE)?.scopes ?? []);
    c.set("principal", {
      tenantId: credential.tenantId,
      actor: serviceActor(credential.label),
      kind: "credential",
      clientId: credential.id,
      scopes: new Set(claims.scope.split(" ").filter((s) => held.has(s))),
    });
    await next();
  };
}

/** Requires a person (cookie or Access), not a machine credential. */
export function requirePerson(): MiddlewareHandler<AppEnv> {
  return async function personCheck(c, next) {
    if (c.var.principal.kind !== "person")
      throw problems.forbidden("This endpoint is for people signed in to the console.");
    await next();
  };
}

/** Requires one management scope of the authenticated principal. */
export function requireScope(scope: string): MiddlewareHandler<AppEnv> {
  return async function scopeCheck(c, next) {
    if (!c.var.principal.scopes.has(scope)) throw problems.forbidden(`This action needs the ${scope} scope.`);
    await next();
  };
}

/** Request facts every audit event records, and the caller's scopes for the authority rule (domain/authority.ts). */
export function auditContext(c: Context<AppEnv>) {
  const principal = c.var.principal;
  return {
    tenantId: principal.tenantId,
    actor: principal.actor,
    ip: c.req.header("cf-connecting-ip") ?? null,
    userAgent: c.req.header("user-agent") ?? null,
    authority: principal.scopes,
  };
}
