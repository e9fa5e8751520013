/**
 * Helpers for workerd tests: requests to the real Worker (same isolate as the test), a tenant with a
 * management credential, and a real token from the real token endpoint. Each test file makes its own.
 * tokenRequest sends a credential's request to its own tenant's token endpoint (docs/realms.md), as a client
 * configured with its issuer does; a test of another endpoint names `path`.
 */
import { env as workerEnv, exports } from "cloudflare:workers";
import type { Env } from "../../src/config";
import { buildContext, type RequestContext } from "../../src/context";
import { MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../../src/domain/management";
import { createCredential } from "../../src/services/credentials";
import { ensureTenant } from "../../src/services/tenants";
import { primaryDb } from "../../src/storage/db";

export const ISSUER = "https://latchkey.test";
/** The Worker's bindings, typed. */
export const env = workerEnv as unknown as Env;
const worker = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
let ipCounter = 1;

/** The context a service receives, built from `bindings` for a test that calls services directly. */
export function testContext(bindings: Env = env): RequestContext {
  return buildContext(bindings, () => undefined);
}

/** A fresh client IP per caller, so rate limits of one test do not leak into another. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.100.${ipCounter % 250}`;
}

/** Sends a request to the Worker. */
export function call(path: string, init: RequestInit & { ip?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", init.ip ?? "192.0.2.1");
  return worker.fetch(new Request(ISSUER + path, { ...init, headers }));
}

/** The issuer of a tenant in tests: the root for the default tenant, `${ISSUER}/t/{id}` for others. */
export function issuerOf(tenantId: string): string {
  return tenantId === "default" ? ISSUER : `${ISSUER}/t/${tenantId}`;
}

/** The path of `tenantId`'s issuer relative to the origin: "" for the default tenant. */
export function realmPath(tenantId: string): string {
  return issuerOf(tenantId).slice(ISSUER.length);
}

function presentedClientId(form: Record<string, string>, basic?: [string, string]): unknown {
  if (basic) return basic[0];
  if (form.client_id) return form.client_id;
  try {
    return JSON.parse(atob((form.client_assertion ?? "").split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).iss;
  } catch {
    return undefined;
  }
}

async function tokenPathFor(clientId: unknown): Promise<string> {
  if (typeof clientId !== "string" || !clientId) return "/oauth/token";
  const row = await env.DB.prepare("select tenant_id from credentials where id = ?")
    .bind(clientId)
    .first<{ tenant_id: string }>();
  return `${realmPath(row?.tenant_id ?? "default")}/oauth/token`;
}

/** POSTs a form to the token endpoint of the presented credential's tenant, or to `path`. */
export async function tokenRequest(
  form: Record<string, string>,
  init: { basic?: [string, string]; ip?: string; headers?: Record<string, string>; path?: string } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...init.headers };
  if (init.basic) headers.authorization = `Basic ${btoa(`${encodeForm(init.basic[0])}:${encodeForm(init.basic[1])}`)}`;
  const path = init.path ?? (await tokenPathFor(presentedClientId(form, init.basic)));
  return call(path, { method: "POST", headers, body: new URLSearchParams(form).toString(), ip: init.ip });
}

/** RFC 6749 appendix B encoding (application/x-www-form-urlencoded), as Basic credentials require. */
export function encodeForm(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

export interface TestTenant {
  tenantId: string;
  adminClientId: string;
  adminSecret: string;
  adminToken: string;
  admin: (method: string, path: string, body?: unknown) => Promise<Response>;
}

/** Creates a tenant with a management credential holding every management scope, and mints its token. */
export async function setupTenant(
  tenantId: string,
  scopes = MANAGEMENT_SCOPES.map((s) => s.name),
): Promise<TestTenant> {
  const nowMs = Date.now();
  await ensureTenant(primaryDb(env.DB), tenantId, tenantId, nowMs);
  const created = await createCredential(
    testContext(),
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
  const res = await tokenRequest(
    { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
    { basic: [created.credential.id, created.clientSecret], ip: freshIp() },
  );
  if (res.status !== 200) throw new Error(`admin mint failed: ${res.status} ${await res.text()}`);
  const adminToken = ((await res.json()) as { access_token: string }).access_token;
  const admin = (method: string, path: string, body?: unknown) =>
    call(`/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { tenantId, adminClientId: created.credential.id, adminSecret: created.clientSecret, adminToken, admin };
}
