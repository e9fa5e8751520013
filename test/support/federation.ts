/**
 * Helpers for the federation tests in workerd. The real app runs with the real bindings, but with ISSUER set
 * to a loopback URL, as in local development: only then may a rule trust the local OIDC issuer, which serves
 * plain http on 127.0.0.1 (test/oidc-issuer/server.ts, started by the workers project's globalSetup).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/config";
import { DEFAULT_TENANT_ID, MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../../src/domain/management";
import { issuerFor } from "../../src/domain/realms";
import { createCredential } from "../../src/services/credentials";
import { ensureTenant } from "../../src/services/tenants";
import { primaryDb } from "../../src/storage/db";
import { env, freshIp, testContext } from "./harness";

declare module "vitest" {
  export interface ProvidedContext {
    /** The local OIDC issuer's base URL (test/oidc-issuer/global-setup.ts). */
    oidcIssuerBase: string;
  }
}

/** Latchkey's own issuer in these tests: loopback, so loopback issuers are allowed. */
export const LOOPBACK_ISSUER = "http://127.0.0.1:8787";
export const loopbackEnv: Env = { ...env, ISSUER: LOOPBACK_ISSUER };
export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** The local OIDC issuer named `name` (its behaviour follows the name's prefix: large-, slow-, liar-, redirect-). */
export const issuerUrl = (name: string) => `${inject("oidcIssuerBase")}/${name}`;

/** The issuer of `tenantId` under the loopback ISSUER (docs/realms.md): the root for the default tenant. */
export const loopbackIssuerOf = (tenantId: string) => issuerFor({ issuer: LOOPBACK_ISSUER }, tenantId);

/** The path of `tenantId`'s issuer below the loopback origin: "" for the default tenant, else /t/{tenant}. */
export const loopbackRealmPath = (tenantId: string) => loopbackIssuerOf(tenantId).slice(LOOPBACK_ISSUER.length);

/** The token endpoint path of the tenant `clientId` belongs to (the default tenant's for an unknown client). */
export async function tokenPathOf(clientId: string): Promise<string> {
  const row = await env.DB.prepare("select tenant_id from credentials where id = ?")
    .bind(clientId)
    .first<{ tenant_id: string }>();
  return `${loopbackRealmPath(row?.tenant_id ?? DEFAULT_TENANT_ID)}/oauth/token`;
}

/** Sends a request to the app under the loopback ISSUER and waits for its background work. */
export async function loopCall(path: string, init: RequestInit & { ip?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-connecting-ip", init.ip ?? freshIp());
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(LOOPBACK_ISSUER + path, { ...init, headers }), loopbackEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * A token exchange at the token endpoint of the client's tenant (its own issuer's), or at `path` when given;
 * an unknown client_id goes to the default tenant's.
 */
export async function exchange(
  clientId: string,
  subjectToken: string,
  extra: Record<string, string> = {},
  path?: string,
) {
  const form = {
    grant_type: TOKEN_EXCHANGE,
    client_id: clientId,
    subject_token: subjectToken,
    subject_token_type: JWT_TYPE,
    ...extra,
  };
  return loopCall(path ?? (await tokenPathOf(clientId)), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

export interface MintOptions {
  claims: Record<string, unknown>;
  alg?: "ES256" | "RS256" | "PS256" | "EdDSA";
  unpublished?: boolean;
  expiresIn?: number;
  iatOffset?: number;
}

/** A subject token signed by the local issuer `name`. */
export async function subjectToken(name: string, options: MintOptions): Promise<string> {
  const res = await fetch(`${issuerUrl(name)}/mint`, { method: "POST", body: JSON.stringify(options) });
  if (res.status !== 200) throw new Error(`mint failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** How often the issuer `name` served its discovery document and JWKS. */
export async function issuerStats(name: string): Promise<{ discovery: number; jwks: number }> {
  return (await fetch(`${issuerUrl(name)}/stats`)).json();
}

/**
 * A tenant with a full management credential, its token minted at the tenant's own token endpoint under the
 * loopback ISSUER, and an admin caller.
 */
export async function loopbackTenant(tenantId: string, scopes = MANAGEMENT_SCOPES.map((s) => s.name)) {
  const nowMs = Date.now();
  await ensureTenant(primaryDb(env.DB), tenantId, tenantId, nowMs);
  const created = await createCredential(
    testContext(loopbackEnv),
    { tenantId, actor: "test:setup", ip: null, userAgent: null, authority: new Set(scopes) },
    {
      label: `admin-${crypto.randomUUID().slice(0, 8)}`,
      grants: [{ resource: MANAGEMENT_RESOURCE, scopes }],
      groups: [],
      expiresAt: null,
      tokenLifetime: null,
    },
    nowMs,
  );
  const res = await loopCall(`${loopbackRealmPath(tenantId)}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${created.credential.id}:${created.clientSecret}`)}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE }).toString(),
  });
  if (res.status !== 200) throw new Error(`admin mint failed: ${res.status} ${await res.text()}`);
  const token = ((await res.json()) as { access_token: string }).access_token;
  const admin = (method: string, path: string, body?: unknown) =>
    loopCall(`/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { tenantId, adminClientId: created.credential.id, admin };
}
