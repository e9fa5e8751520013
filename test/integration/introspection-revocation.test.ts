/**
 * Introspection (RFC 7662), revocation (RFC 7009), "revoke issued tokens" and the revocation feed, against
 * the real Worker with real D1, KV and signing keys: the RFC cases with their whole wire, cross-tenant
 * isolation (a second tenant made directly in D1), a revoked credential's old tokens, a client revoking
 * another's token (200, no effect), the admin API refusing revoked management tokens, the feed's contents,
 * signature, ETag and 304, and the cron forgetting what has expired. Time moves by an injected clock only.
 * It runs past 300 lines: one workerd start serves these five closely related surfaces.
 */
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { signAccessToken } from "../../src/crypto/access-token";
import { DEFAULT_TENANT_ID, MANAGEMENT_RESOURCE } from "../../src/domain/management";
import { feedContent, tenantRevocationFeed } from "../../src/services/revocation-feed";
import { runMaintenance } from "../../src/services/maintenance";
import { keyRing } from "../../src/services/signing-key-ring";
import { listAuditEvents } from "../../src/storage/audit";
import { primaryDb } from "../../src/storage/db";
import {
  call,
  env,
  freshIp,
  ISSUER,
  realmPath,
  setupTenant,
  testContext,
  tokenRequest,
  type TestTenant,
} from "../support/harness";
import { adminWith, callWith, failCommit, faultyEnv } from "../support/faults";
import { expectInvalidClient, expectOAuthError, expectProblem, type Json } from "../support/wire";

const ORDERS = "https://api.example.com/orders";
const INACTIVE = { active: false };

let home: TestTenant;
let other: TestTenant;
let introspector: Client;

interface Client {
  id: string;
  secret: string;
  label: string;
  /** The credential's tenant: it authenticates only under that tenant's issuer (docs/realms.md). */
  tenantId: string;
}

async function newCredential(t: TestTenant, grants: unknown = [{ resource: ORDERS, scopes: ["orders:read"] }]) {
  const res = await t.admin("POST", "/credentials", { label: `job-${crypto.randomUUID().slice(0, 8)}`, grants });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { client_id: string; client_secret: string; label: string };
  return { id: body.client_id, secret: body.client_secret, label: body.label, tenantId: t.tenantId };
}

async function mint(client: Client, resource = ORDERS): Promise<string> {
  const res = await tokenRequest({ grant_type: "client_credentials", resource }, { basic: [client.id, client.secret] });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function post(path: string, form: Record<string, string>, caller?: Client, headers: Record<string, string> = {}) {
  const auth: Record<string, string> = caller
    ? { authorization: `Basic ${btoa(`${caller.id}:${caller.secret}`)}` }
    : {};
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...auth, ...headers },
    body: new URLSearchParams(form).toString(),
    ip: freshIp(),
  });
}

async function introspect(token: string, caller: Client = introspector): Promise<Json> {
  const res = await post(`${realmPath(caller.tenantId)}/oauth/introspect`, { token }, caller);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(res.headers.get("cache-control")).toBe("no-store");
  return (await res.json()) as Json;
}

async function revoke(token: string, caller: Client, extra: Record<string, string> = {}) {
  const res = await post(`${realmPath(caller.tenantId)}/oauth/revoke`, { token, ...extra }, caller);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("");
  expect(res.headers.get("cache-control")).toBe("no-store");
}

const claimsOf = (jwt: string) => JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as Json;

async function events(tenantId: string, action: string) {
  return listAuditEvents(primaryDb(env.DB), tenantId, { action, limit: 50 });
}

/** Moves the clock (Date only: D1, KV and the Durable Objects keep their real timers). */
function moveClock(byMs: number) {
  vi.useFakeTimers({ now: Date.now() + byMs, toFake: ["Date"] });
}

beforeAll(async () => {
  home = await setupTenant(DEFAULT_TENANT_ID);
  other = await setupTenant("second-tenant");
  for (const t of [home, other]) {
    const res = await t.admin("POST", "/resources", { uri: ORDERS, name: "Orders", scopes: [{ name: "orders:read" }] });
    expect(res.status).toBe(201);
  }
  introspector = await newCredential(home, [{ resource: MANAGEMENT_RESOURCE, scopes: ["tokens:introspect"] }]);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("metadata", () => {
  it("names the introspection and revocation endpoints and the revocation feed", async () => {
    const meta = (await (await call("/.well-known/oauth-authorization-server")).json()) as Json;
    expect(meta).toMatchObject({
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      latchkey_revocations_uri: `${ISSUER}/.well-known/latchkey-revocations`,
    });
  });
});

describe("POST /oauth/introspect (RFC 7662)", () => {
  it("answers an active token's claims, Bearer without cnf", async () => {
    const job = await newCredential(home);
    const token = await mint(job);
    const claims = claimsOf(token);
    expect(await introspect(token)).toEqual({
      active: true,
      scope: "orders:read",
      client_id: job.id,
      sub: job.id,
      aud: ORDERS,
      iss: ISSUER,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: "Bearer",
      svc: `svc:${job.label}`,
    });
  });

  it("answers token_type DPoP and cnf for a sender-constrained token", async () => {
    const job = await newCredential(home);
    const claims = {
      ...claimsOf(await mint(job)),
      jti: crypto.randomUUID(),
      cnf: { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" },
    };
    const { signer } = await keyRing(testContext(), Date.now());
    const bound = await signAccessToken(claims as never, signer);
    const body = await introspect(bound);
    expect(body).toMatchObject({ active: true, token_type: "DPoP", cnf: { jkt: claims.cnf.jkt }, jti: claims.jti });
  });

  it("answers exactly {active: false} for garbage, a tampered signature, an expired token and no-Latchkey tokens", async () => {
    const job = await newCredential(home);
    const token = await mint(job);
    const [h, p, s] = token.split(".") as [string, string, string];
    const tampered = `${h}.${p}.${s.startsWith("A") ? `B${s.slice(1)}` : `A${s.slice(1)}`}`;
    const forged = `${h}.${btoa(JSON.stringify({ ...claimsOf(token), scope: "orders:write" })).replace(/=+$/, "")}.${s}`;
    for (const bad of ["not-a-token", tampered, forged, "a.b.c", "x".repeat(5000)]) {
      const res = await post("/oauth/introspect", { token: bad }, introspector);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(JSON.stringify(INACTIVE));
    }
    moveClock(3_700_000);
    expect(await introspect(token)).toEqual(INACTIVE);
  });

  it("answers another tenant's token as inactive, even to that tenant's own management credential holding everything else", async () => {
    const theirs = await newCredential(other);
    const token = await mint(theirs);
    expect(await introspect(token)).toEqual(INACTIVE);
    const theirIntrospector = await newCredential(other, [
      { resource: MANAGEMENT_RESOURCE, scopes: ["tokens:introspect"] },
    ]);
    expect((await introspect(token, theirIntrospector)).active).toBe(true);
    // Their credential authenticates only under their own issuer: at the root it is the usual invalid_client.
    await expectInvalidClient(await post("/oauth/introspect", { token }, theirIntrospector), { basicChallenge: true });
    expect(await introspect(await mint(await newCredential(home)), theirIntrospector)).toEqual(INACTIVE);
  });

  it("refuses callers without tokens:introspect (403), failed authentication (401), a missing token and GET", async () => {
    const job = await newCredential(home);
    const token = await mint(job);
    await expectOAuthError(await post("/oauth/introspect", { token }, job), 403, "unauthorized_client", {
      description: "This client may not introspect tokens.",
    });
    await expectInvalidClient(await post("/oauth/introspect", { token }, { ...introspector, secret: "wrong" }), {
      basicChallenge: true,
    });
    await expectInvalidClient(await post("/oauth/introspect", { token }));
    await expectOAuthError(await post("/oauth/introspect", {}, introspector), 400, "invalid_request", {
      description: "The token parameter is required.",
    });
    const twice = await call("/oauth/introspect", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${introspector.id}:${introspector.secret}`)}`,
      },
      body: `token=${token}&token=${token}`,
    });
    await expectOAuthError(twice, 400, "invalid_request", {
      description: "A request parameter was sent more than once.",
    });
    const get = await call("/oauth/introspect");
    await expectOAuthError(get, 405, "invalid_request", { description: "This endpoint accepts POST only." });
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("limits verified calls per credential: 429 slow_down with the limiter's Retry-After", async () => {
    const token = await mint(await newCredential(home));
    const limited = { ...faultyEnv({}), INTROSPECTION_LIMITER: { limit: async () => ({ success: false }) } };
    const auth = `Basic ${btoa(`${introspector.id}:${introspector.secret}`)}`;
    for (const path of ["/oauth/introspect", "/oauth/revoke"]) {
      const { res } = await callWith(limited, path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth },
        body: new URLSearchParams({ token }).toString(),
      });
      await expectOAuthError(res, 429, "slow_down", { retryAfter: 10, why: path });
    }
  });
});

describe("POST /oauth/revoke (RFC 7009)", () => {
  it("revokes the client's own token once: 200 empty, inactive at once, one audit event", async () => {
    const job = await newCredential(home);
    const token = await mint(job);
    const jti = claimsOf(token).jti as string;
    await revoke(token, job, { token_type_hint: "refresh_token" });
    expect(await introspect(token)).toEqual(INACTIVE);
    await revoke(token, job);
    const recorded = (await events(DEFAULT_TENANT_ID, "token.revoke")).filter((e) => e.targetId === job.id);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor: `svc:${job.label}`,
      targetType: "credential",
      detail: { jti, aud: ORDERS },
    });
    expect(JSON.stringify(recorded)).not.toContain(token);
    expect((await introspect(await mint(job))).active).toBe(true);
  });

  it("answers 200 for unknown and malformed tokens, and for another client's token without touching it", async () => {
    const job = await newCredential(home);
    const victim = await newCredential(home);
    const theirs = await mint(victim);
    await revoke("no-such-token", job);
    await revoke(theirs, job);
    expect((await introspect(theirs)).active).toBe(true);
    const stranger = await newCredential(other);
    await revoke(theirs, stranger);
    expect((await introspect(theirs)).active).toBe(true);
    expect((await events(DEFAULT_TENANT_ID, "token.revoke")).some((e) => e.targetId === victim.id)).toBe(false);
  });

  it("refuses failed authentication and a missing token", async () => {
    const job = await newCredential(home);
    await expectInvalidClient(await post("/oauth/revoke", { token: "x" }, { ...job, secret: "nope" }), {
      basicChallenge: true,
    });
    await expectOAuthError(await post("/oauth/revoke", {}, job), 400, "invalid_request", {
      description: "The token parameter is required.",
    });
    await expectOAuthError(await call("/oauth/revoke"), 405, "invalid_request");
  });

  it("ends a revoked management token at the admin API at once", async () => {
    const admin = await setupTenant(DEFAULT_TENANT_ID);
    expect((await admin.admin("GET", "/credentials")).status).toBe(200);
    await revoke(admin.adminToken, {
      id: admin.adminClientId,
      secret: admin.adminSecret,
      label: "",
      tenantId: admin.tenantId,
    });
    expect((await admin.admin("GET", "/credentials")).status).toBe(401);
  });
});

describe("revoke issued tokens", () => {
  it("ends every token the credential holds now, audited; tokens minted a second later work", async () => {
    const job = await newCredential(home);
    const old = await mint(job);
    const res = await home.admin("POST", `/credentials/${job.id}/tokens/revoke`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; tokens_not_before: string };
    expect(body.id).toBe(job.id);
    expect(Date.parse(body.tokens_not_before)).toBeGreaterThan(claimsOf(old).iat * 1000);
    expect(await introspect(old)).toEqual(INACTIVE);
    const [event] = (await events(DEFAULT_TENANT_ID, "credential.tokens.revoke")).filter((e) => e.targetId === job.id);
    expect(event).toMatchObject({
      actor: `svc:${await adminLabel()}`,
      detail: { not_before: body.tokens_not_before },
    });
    const view = (await (await home.admin("GET", `/credentials/${job.id}`)).json()) as Json;
    expect(view.tokens_not_before).toBe(body.tokens_not_before);
    moveClock(2_000);
    expect((await introspect(await mint(job))).active).toBe(true);
  });

  it("is refused for a revoked credential (409) and without credentials:write (403); an unknown one is 404", async () => {
    const job = await newCredential(home);
    expect((await home.admin("POST", `/credentials/${job.id}/revoke`, { confirm_label: job.label })).status).toBe(200);
    expect((await home.admin("POST", `/credentials/${job.id}/tokens/revoke`)).status).toBe(409);
    expect((await home.admin("POST", "/credentials/lkc_nope/tokens/revoke")).status).toBe(404);
    const reader = await setupTenant(DEFAULT_TENANT_ID, ["credentials:read"]);
    expect((await reader.admin("POST", `/credentials/${job.id}/tokens/revoke`)).status).toBe(403);
  });

  it("writes nothing, audit included, when D1 fails at the commit; a failed RFC 7009 revocation is 503 (RFC 7009 section 2.2.1)", async () => {
    const job = await newCredential(home);
    const old = await mint(job);
    const broken = faultyEnv({ d1: failCommit });
    const { res } = await adminWith(broken, home.adminToken, "POST", `/credentials/${job.id}/tokens/revoke`);
    await expectProblem(res, 503, "temporarily_unavailable");
    expect((await events(DEFAULT_TENANT_ID, "credential.tokens.revoke")).some((e) => e.targetId === job.id)).toBe(
      false,
    );
    expect((await introspect(old)).active).toBe(true);
    const form = new URLSearchParams({ token: old }).toString();
    const revoked = await callWith(broken, "/oauth/revoke", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${job.id}:${job.secret}`)}`,
      },
      body: form,
    });
    await expectOAuthError(revoked.res, 503, "temporarily_unavailable", {
      description: "The token could not be revoked now. Retry later.",
      retryAfter: 5,
    });
    expect((await introspect(old)).active).toBe(true);
  });

  it("makes a revoked credential's old tokens inactive", async () => {
    const job = await newCredential(home);
    const old = await mint(job);
    expect((await home.admin("POST", `/credentials/${job.id}/revoke`, { confirm_label: job.label })).status).toBe(200);
    expect(await introspect(old)).toEqual(INACTIVE);
  });

  it("ends the admin's own management tokens at the admin API", async () => {
    const admin = await setupTenant(DEFAULT_TENANT_ID);
    expect((await admin.admin("POST", `/credentials/${admin.adminClientId}/tokens/revoke`)).status).toBe(200);
    expect((await admin.admin("GET", "/credentials")).status).toBe(401);
  });
});

async function adminLabel(): Promise<string> {
  const view = (await (await home.admin("GET", `/credentials/${home.adminClientId}`)).json()) as Json;
  return view.label as string;
}

async function feed(headers: Record<string, string> = {}) {
  return call("/.well-known/latchkey-revocations", { headers });
}

describe("GET /.well-known/latchkey-revocations", () => {
  it("is a JWT signed with the JWKS keys, typ latchkey-revocations+jwt, listing this tenant's live revocations only", async () => {
    const job = await newCredential(home);
    const single = await newCredential(home);
    const singleToken = await mint(single);
    expect((await home.admin("POST", `/credentials/${job.id}/tokens/revoke`)).status).toBe(200);
    await revoke(singleToken, single);
    const foreign = await newCredential(other);
    expect((await other.admin("POST", `/credentials/${foreign.id}/tokens/revoke`)).status).toBe(200);

    const res = await feed();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/jwt");
    expect(res.headers.get("cache-control")).toBe("public, max-age=15");
    expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const jwt = new TextDecoder().decode(await res.arrayBuffer());
    expect(decodeProtectedHeader(jwt)).toMatchObject({ typ: "latchkey-revocations+jwt", alg: "ES256" });
    const jwks = (await (await call("/.well-known/jwks.json")).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      typ: "latchkey-revocations+jwt",
    });
    expect(payload).toMatchObject({ sub: DEFAULT_TENANT_ID, tenant: DEFAULT_TENANT_ID });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    const clients = payload.revoked_clients as { client_id: string; not_before: number }[];
    const jtis = payload.revoked_jtis as { jti: string; exp: number }[];
    expect(clients).toContainEqual({ client_id: job.id, not_before: expect.any(Number) });
    expect(clients.some((c) => c.client_id === foreign.id)).toBe(false);
    expect(jtis).toContainEqual({ jti: claimsOf(singleToken).jti, exp: claimsOf(singleToken).exp });
    await expect(jwtVerify(jwt, createLocalJWKSet(jwks), { typ: "at+jwt" })).rejects.toThrow();

    const theirs = await feedContent(testContext(), "second-tenant", Date.now());
    expect(theirs.revoked_clients.map((c) => c.client_id)).toEqual([foreign.id]);
    expect(theirs.revoked_jtis).toEqual([]);
  });

  it("answers 304 to its ETag until a revocation changes it", async () => {
    const first = await feed();
    const etag = first.headers.get("etag")!;
    const same = await feed({ "if-none-match": etag });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe(etag);
    expect(same.headers.get("cache-control")).toBe("public, max-age=15");
    expect(same.body).toBeNull();
    expect((await feed({ "if-none-match": '"something-else"' })).status).toBe(200);
    const job = await newCredential(home);
    expect((await home.admin("POST", `/credentials/${job.id}/tokens/revoke`)).status).toBe(200);
    const changed = await feed({ "if-none-match": etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("keeps each entry only until its tokens would have expired, and the cron prunes it", async () => {
    const job = await newCredential(home);
    const token = await mint(job);
    await revoke(token, job);
    expect((await home.admin("POST", `/credentials/${job.id}/tokens/revoke`)).status).toBe(200);
    const listed = await feedContent(testContext(), DEFAULT_TENANT_ID, Date.now());
    expect(listed.revoked_jtis.some((t) => t.jti === claimsOf(token).jti)).toBe(true);
    const later = Date.now() + (3600 + 301) * 1000 + 2000;
    const gone = await feedContent(testContext(), DEFAULT_TENANT_ID, later);
    expect(gone.revoked_jtis.some((t) => t.jti === claimsOf(token).jti)).toBe(false);
    expect(gone.revoked_clients.some((c) => c.client_id === job.id)).toBe(false);
    await runMaintenance(testContext(), later);
    const rows = await env.DB.prepare("select count(*) as n from revoked_tokens where jti = ?")
      .bind(claimsOf(token).jti)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    const credential = await env.DB.prepare("select tokens_not_before as nb from credentials where id = ?")
      .bind(job.id)
      .first<{ nb: number | null }>();
    expect(credential?.nb).toBeNull();
  });

  it("serves the same signed feed per tenant through one function", async () => {
    const a = await tenantRevocationFeed(testContext(), "second-tenant", Date.now());
    const b = await tenantRevocationFeed(testContext(), DEFAULT_TENANT_ID, Date.now());
    expect(a.etag).not.toBe(b.etag);
    expect(claimsOf(a.jwt).tenant).toBe("second-tenant");
  });
});
