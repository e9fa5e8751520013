/**
 * Realms (docs/realms.md): two tenants made through the operator API, each its own issuer with the same
 * resource URI. Their metadata (both RFC 8414 locations), JWKS and token endpoints are their own; each one's
 * tokens fail the other's verification (jose jwtVerify against each JWKS and issuer); a credential mints only
 * at its own tenant's endpoint; the default tenant keeps the root issuer. Tenant creation validates names and
 * ids and makes a first owner; a person in two tenants switches, checked and audited on the server.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JSONWebKeySet } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/config";
import worker from "../../src/index";
import { call, env, freshIp, ISSUER, setupTenant, tokenRequest, type TestTenant } from "../support/harness";
import { COOKIE, createOwner, PASSWORD, person, postJson, sessionCookieOf, tokenOf } from "../support/console";
import {
  CLIENT_ASSERTION_TYP,
  INVALID_CLIENT,
  JWT_BEARER,
  newClientKey,
  redeem,
  uniqueIp,
} from "../support/client-keys";
import { expectOAuthError, expectProblem, type Json } from "../support/wire";

const SHARED_API = "https://api.shared.example";
const bootstrap = { authorization: `Bearer ${env.BOOTSTRAP_TOKEN}` };
const json = async (res: Response) => (await res.json()) as Json;

function createTenant(body: unknown) {
  return call("/api/v1/tenants", {
    method: "POST",
    headers: { ...bootstrap, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

interface Realm {
  id: string;
  issuer: string;
  ownerLink: string;
  admin: TestTenant;
  clientId: string;
  secret: string;
}

/** A tenant through POST /api/v1/tenants, with a management credential and a credential for SHARED_API. */
async function realm(name: string, id: string): Promise<Realm> {
  const res = await createTenant({ name, id });
  expect(res.status).toBe(201);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = await json(res);
  const admin = await setupTenant(id);
  const resource = await admin.admin("POST", "/resources", {
    uri: SHARED_API,
    name: "Shared",
    scopes: [{ name: "read", description: "Read" }],
  });
  expect(resource.status).toBe(201);
  const cred = await json(
    await admin.admin("POST", "/credentials", { label: "svc", grants: [{ resource: SHARED_API, scopes: ["read"] }] }),
  );
  return {
    id,
    issuer: body.issuer,
    ownerLink: body.owner_link.url,
    admin,
    clientId: cred.client_id,
    secret: cred.client_secret,
  };
}

async function mint(r: Pick<Realm, "clientId" | "secret">, path?: string): Promise<Response> {
  return tokenRequest(
    { grant_type: "client_credentials", resource: SHARED_API },
    { basic: [r.clientId, r.secret], ip: freshIp(), ...(path ? { path } : {}) },
  );
}

async function tokenOfRealm(r: Realm): Promise<string> {
  const res = await mint(r);
  expect(res.status).toBe(200);
  return (await json(res)).access_token;
}

async function jwksAt(path: string): Promise<JSONWebKeySet> {
  const res = await call(path);
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("public, max-age=600");
  return (await res.json()) as JSONWebKeySet;
}

let acme: Realm;
let globex: Realm;

beforeAll(async () => {
  acme = await realm("Acme Corp", "acme");
  globex = await realm("Globex", "globex");
});

afterEach(() => {
  vi.useRealTimers();
});

describe("per-tenant issuer, metadata, JWKS and token endpoint", () => {
  it("names each tenant's issuer {ISSUER}/t/{tenant} and answers its RFC 8414 metadata at both locations", async () => {
    expect(acme.issuer).toBe(`${ISSUER}/t/acme`);
    for (const path of [
      "/.well-known/oauth-authorization-server/t/acme",
      "/t/acme/.well-known/oauth-authorization-server",
    ]) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
      expect(await json(res)).toMatchObject({
        issuer: `${ISSUER}/t/acme`,
        token_endpoint: `${ISSUER}/t/acme/oauth/token`,
        jwks_uri: `${ISSUER}/t/acme/.well-known/jwks.json`,
        grant_types_supported: expect.arrayContaining(["client_credentials"]),
        service_documentation: `${ISSUER}/api/v1/openapi.json`,
      });
    }
    const root = await json(await call("/.well-known/oauth-authorization-server"));
    expect(root).toMatchObject({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
    });
  });

  it("answers 404 for unknown, malformed and default tenant paths", async () => {
    for (const path of [
      "/t/nobody/.well-known/jwks.json",
      "/t/nobody/oauth/token",
      "/.well-known/oauth-authorization-server/t/nobody",
      "/t/default/.well-known/oauth-authorization-server",
      "/t/Bad_Name/.well-known/jwks.json",
    ]) {
      await expectProblem(await call(path, { method: path.endsWith("token") ? "POST" : "GET" }), 404, "not_found");
    }
  });

  it("signs each tenant's tokens with its own ring: disjoint JWKS, its own iss, and the same aud", async () => {
    const [a, g] = [await tokenOfRealm(acme), await tokenOfRealm(globex)];
    const acmeKeys = await jwksAt("/t/acme/.well-known/jwks.json");
    const globexKeys = await jwksAt("/t/globex/.well-known/jwks.json");
    const rootKeys = await jwksAt("/.well-known/jwks.json");
    const kids = (s: JSONWebKeySet) => s.keys.map((k) => k.kid);
    expect(kids(acmeKeys)).toContain(decodeProtectedHeader(a).kid);
    expect(kids(globexKeys)).toContain(decodeProtectedHeader(g).kid);
    for (const kid of kids(acmeKeys)) {
      expect(kids(globexKeys)).not.toContain(kid);
      expect(kids(rootKeys)).not.toContain(kid);
    }
    const verifyWith = (token: string, keys: JSONWebKeySet, issuer: string) =>
      jwtVerify(token, createLocalJWKSet(keys), { issuer, audience: SHARED_API, typ: "at+jwt" });
    const ok = await verifyWith(a, acmeKeys, acme.issuer);
    expect(ok.payload).toMatchObject({ iss: acme.issuer, aud: SHARED_API, tenant: "acme", client_id: acme.clientId });
    expect((await verifyWith(g, globexKeys, globex.issuer)).payload.tenant).toBe("globex");
    // Each tenant's token fails the other's verification: by key, and by issuer even with the right key set.
    await expect(verifyWith(a, globexKeys, globex.issuer)).rejects.toThrow();
    await expect(verifyWith(g, acmeKeys, acme.issuer)).rejects.toThrow();
    await expect(verifyWith(a, acmeKeys, globex.issuer)).rejects.toThrow();
    await expect(verifyWith(a, rootKeys, ISSUER)).rejects.toThrow();
  });

  it("mints a credential's token only at its own tenant's endpoint: elsewhere the one invalid_client", async () => {
    const root = await setupTenant("default");
    const wrong: [Pick<Realm, "clientId" | "secret">, string][] = [
      [acme, "/oauth/token"],
      [acme, "/t/globex/oauth/token"],
      [globex, "/t/acme/oauth/token"],
      [{ clientId: root.adminClientId, secret: root.adminSecret }, "/t/acme/oauth/token"],
    ];
    for (const [cred, path] of wrong) {
      const res = await mint(cred, path);
      expect(await expectOAuthError(res, 401, "invalid_client", { basicChallenge: true, why: path })).toEqual(
        INVALID_CLIENT,
      );
    }
    expect((await mint(acme, "/t/acme/oauth/token")).status).toBe(200);
  });

  it("takes private_key_jwt assertions whose sole aud is the tenant's issuer, not the root's", async () => {
    const key = await newClientKey();
    const created = await json(
      await acme.admin.admin("POST", "/credentials", {
        label: "keyed",
        grants: [{ resource: SHARED_API, scopes: ["read"] }],
        delivery: "setup_code",
        mode: "key",
      }),
    );
    expect(created.issuer).toBe(acme.issuer);
    expect(created.setup_code.command).toBe(`npx latchkey setup ${acme.issuer} ${created.setup_code.code}`);
    const redeemed = await call("/t/acme/setup/redeem", {
      method: "POST",
      ip: uniqueIp(),
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: created.setup_code.code, mode: "key", public_jwk: key.publicJwk }),
    });
    expect(redeemed.status).toBe(200);
    expect(await json(redeemed)).toMatchObject({ issuer: acme.issuer, token_endpoint: `${acme.issuer}/oauth/token` });
    const assertion = (aud: string) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: created.client_id,
        sub: created.client_id,
        aud,
        iat: now,
        exp: now + 60,
        jti: crypto.randomUUID(),
      })
        .setProtectedHeader({ alg: key.alg, kid: key.thumbprint, typ: CLIENT_ASSERTION_TYP })
        .sign(key.privateKey);
    };
    const form = async (aud: string) => ({
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(aud),
    });
    const refused = await tokenRequest(await form(ISSUER), { ip: freshIp() });
    expect(await expectOAuthError(refused, 401, "invalid_client")).toEqual(INVALID_CLIENT);
    const accepted = await tokenRequest(await form(acme.issuer), { ip: freshIp() });
    expect(accepted.status).toBe(200);
  });

  it("shows every credential with its issuer, and takes a tenant's management token on the admin API only as its own", async () => {
    const list = await json(await acme.admin.admin("GET", "/credentials"));
    expect(list.credentials.length).toBeGreaterThan(0);
    for (const c of list.credentials) expect(c.issuer).toBe(acme.issuer);
    const me = await json(await acme.admin.admin("GET", "/me"));
    expect(me.tenant).toEqual({ id: "acme", issuer: acme.issuer });
    await expectProblem(await globex.admin.admin("GET", `/credentials/${acme.clientId}`), 404, "not_found");
    // A management token re-signed as if by another tenant's issuer is refused.
    const forged = acme.admin.adminToken.split(".");
    const payload = JSON.parse(atob(forged[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    const swapped = btoa(JSON.stringify({ ...payload, iss: globex.issuer, tenant: "globex" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const res = await call("/api/v1/credentials", {
      headers: { authorization: `Bearer ${forged[0]}.${swapped}.${forged[2]}` },
    });
    await expectProblem(res, 401, "unauthorized");
  });

  it("keeps the default tenant on the root issuer: its setup codes, views and tokens say ISSUER", async () => {
    const root = await setupTenant("default");
    const res = await tokenRequest(
      { grant_type: "client_credentials", resource: "urn:latchkey:management" },
      { basic: [root.adminClientId, root.adminSecret], ip: freshIp(), path: "/oauth/token" },
    );
    expect(res.status).toBe(200);
    const token = (await json(res)).access_token;
    const verified = await jwtVerify(token, createLocalJWKSet(await jwksAt("/.well-known/jwks.json")), {
      issuer: ISSUER,
    });
    expect(verified.payload.tenant).toBe("default");
    const view = await json(await root.admin("GET", `/credentials/${root.adminClientId}`));
    expect(view.issuer).toBe(ISSUER);
  });

  it("rotates every tenant's ring in the hourly cron, each with its own successor", async () => {
    const before = (await jwksAt("/t/globex/.well-known/jwks.json")).keys.map((k) => k.kid);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31 * 86_400_000);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const acmeAfter = (await jwksAt("/t/acme/.well-known/jwks.json")).keys.map((k) => k.kid);
    const globexAfter = (await jwksAt("/t/globex/.well-known/jwks.json")).keys.map((k) => k.kid);
    expect(globexAfter.length).toBe(before.length + 1);
    expect(acmeAfter.filter((k) => globexAfter.includes(k))).toEqual([]);
  });
});

describe("tenant creation", () => {
  it("refuses invalid names and ids with 400, and a taken id with 409 tenant_exists", async () => {
    for (const body of [
      { name: "Bad", id: "Bad_Name" },
      { name: "Short", id: "ab" },
      { name: "Reserved", id: "default" },
      { name: "Hyphen", id: "-edge-" },
      { name: "Double", id: "a--b" },
      { name: "x".repeat(101) },
      { name: "!!!" },
      { name: "Unknown field", id: "fine-id", extra: 1 },
    ]) {
      await expectProblem(await createTenant(body), 400, "invalid_request");
    }
    await expectProblem(await createTenant({ name: "Acme again", id: "acme" }), 409, "tenant_exists");
    const noToken = await call("/api/v1/tenants", {
      method: "POST",
      headers: { authorization: "Bearer wrong", "content-type": "application/json" },
      body: JSON.stringify({ name: "Nope" }),
    });
    await expectProblem(noToken, 401, "unauthorized");
  });

  it("derives the id from the name, and its first-owner link makes an owner of that tenant only", async () => {
    const res = await createTenant({ name: "Initech Labs" });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({
      tenant: { id: "initech-labs", name: "Initech Labs" },
      issuer: `${ISSUER}/t/initech-labs`,
      metadata_url: `${ISSUER}/.well-known/oauth-authorization-server/t/initech-labs`,
    });
    expect(body.owner_link.url).toMatch(new RegExp(`^${ISSUER}/#/setup-owner\\?token=[A-Za-z0-9_-]{43}$`));
    const setup = await postJson("/auth/setup-owner", {
      token: tokenOf(body.owner_link.url),
      email: "peter@initech.example",
      name: "Peter",
      password: PASSWORD,
    });
    expect(setup.status).toBe(201);
    const peter = person(sessionCookieOf(setup), "peter@initech.example");
    const me = await json(await peter.send("GET", "/me"));
    expect(me.user).toMatchObject({ role: "owner", tenant_id: "initech-labs" });
    expect(me.tenant).toEqual({ id: "initech-labs", issuer: `${ISSUER}/t/initech-labs` });
    const audit = await json(await peter.send("GET", "/audit"));
    expect(audit.events.map((e: Json) => e.action)).toEqual(
      expect.arrayContaining(["tenant.create", "owner.link.create", "owner.setup"]),
    );
  });

  it("keeps self-service sign-up off by default, and with SIGNUP_ENABLED makes the person its owner", async () => {
    await expectProblem(await postJson("/signup", { tenant_name: "Hooli" }), 404, "not_found");
    const on: Env = { ...env, SIGNUP_ENABLED: "true" };
    const options = (e: Env) => app.fetch(new Request(`${ISSUER}/api/v1/auth/options`), e, createExecutionContext());
    const off = await options(env);
    expect(off.status).toBe(200);
    expect(off.headers.get("cache-control")).toBe("no-store");
    expect(await json(off)).toEqual({ signup_enabled: false });
    expect(await json(await options(on))).toEqual({ signup_enabled: true });
    const openapi = await json(await call("/api/v1/openapi.json"));
    expect(openapi.paths["/auth/options"].get.responses["200"]).toBeDefined();
    const signup = (body: unknown) =>
      app.fetch(
        new Request(`${ISSUER}/api/v1/signup`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: ISSUER, "cf-connecting-ip": freshIp() },
          body: JSON.stringify(body),
        }),
        on,
        createExecutionContext(),
      );
    await expectProblem(await signup({ tenant_name: "Hooli" }), 400, "invalid_request");
    const res = await signup({ tenant_name: "Hooli", email: "gavin@hooli.example", name: "Gavin", password: PASSWORD });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      tenant: { id: "hooli" },
      issuer: `${ISSUER}/t/hooli`,
      user: { role: "owner" },
    });
    const gavin = person(sessionCookieOf(res), "gavin@hooli.example");
    expect((await json(await gavin.send("GET", "/me"))).tenant.id).toBe("hooli");
    await expectProblem(
      await signup({ tenant_name: "Hooli", email: "other@hooli.example", name: "O", password: PASSWORD }),
      409,
      "tenant_exists",
    );
  });
});

describe("a person in several tenants", () => {
  it("claims another tenant's first-owner link, lists both, and switches with a server-side check and audit", async () => {
    const owner = await createOwner("olive@example.com");
    const claim = await owner.send("POST", "/auth/claim-owner", { token: tokenOf(globex.ownerLink) });
    expect(claim.status).toBe(200);
    expect(await json(claim)).toEqual({ tenant: { id: "globex" }, role: "owner" });
    expect((await json(await owner.send("GET", "/me"))).tenant.id).toBe("globex");
    // The link worked once.
    await expectProblem(
      await owner.send("POST", "/auth/claim-owner", { token: tokenOf(globex.ownerLink) }),
      400,
      "invalid_setup_token",
    );

    const listed = await json(await owner.send("GET", "/me/tenants"));
    expect(listed).toEqual({
      active: "globex",
      tenants: [
        { id: "default", name: "default", role: "owner", issuer: ISSUER, active: false },
        { id: "globex", name: "Globex", role: "owner", issuer: globex.issuer, active: true },
      ],
    });
    const members = await json(await owner.send("GET", "/members"));
    expect(members.members.map((m: Json) => m.email)).toContain("olive@example.com");

    await expectProblem(await owner.send("POST", "/me/tenant", { tenant: "acme" }), 404, "not_found");
    await expectProblem(await owner.send("POST", "/me/tenant", { tenant: "nobody" }), 404, "not_found");
    const back = await owner.send("POST", "/me/tenant", { tenant: "default" });
    expect(back.status).toBe(200);
    expect(await json(back)).toMatchObject({
      active: "default",
      issuer: ISSUER,
      user: { tenant_id: "default", role: "owner" },
    });
    expect((await json(await owner.send("GET", "/me"))).tenant.id).toBe("default");
    const audit = await json(await owner.send("GET", "/audit"));
    expect(audit.events.find((e: Json) => e.action === "session.tenant.switch")).toMatchObject({
      actor: "user:olive@example.com",
      detail: { from: "globex", to: "default" },
    });
    // A machine credential cannot switch: it has no session.
    await expectProblem(await acme.admin.admin("POST", "/me/tenant", { tenant: "globex" }), 403, "forbidden");
    // A cross-site switch is refused like any cookie-authenticated write.
    const csrf = await call("/api/v1/me/tenant", {
      method: "POST",
      headers: {
        cookie: `${COOKIE}=${owner.cookie}`,
        origin: "https://evil.example",
        "content-type": "application/json",
      },
      body: JSON.stringify({ tenant: "globex" }),
    });
    await expectProblem(csrf, 403, "csrf");
  });
});

describe("people who belong to a tenant by membership", () => {
  const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
  const login = async (email: string) => {
    const res = await postJson("/auth/login", { email, password: PASSWORD }, {}, freshIp());
    expect(res.status).toBe(200);
    return person(sessionCookieOf(res), email);
  };
  const firstOwner = async (link: string, email: string) => {
    const res = await postJson("/auth/setup-owner", { token: tokenOf(link), email, name: email, password: PASSWORD });
    expect(res.status).toBe(201);
    return person(sessionCookieOf(res), email);
  };
  const inviteInto = async (owner: ReturnType<typeof person>, email: string, role: string) => {
    const made = await owner.send("POST", "/invitations", { email, role });
    const created = await json(made);
    expect(made.status, JSON.stringify(created)).toBe(201);
    const res = await postJson("/auth/accept-invite", { token: tokenOf(created.url), name: email, password: PASSWORD });
    expect(res.status).toBe(201);
    return person(sessionCookieOf(res), email);
  };
  const memberOf = async (who: ReturnType<typeof person>, email: string) =>
    (await json(await who.send("GET", "/members"))).members.find((m: Json) => m.email === email);
  const ownerLinkOf = async (name: string, id: string) => {
    const res = await createTenant({ name, id });
    expect(res.status).toBe(201);
    return (await json(res)).owner_link.url as string;
  };
  const deviceSignIn = async (who: ReturnType<typeof person>) => {
    const form = (path: string, body: Record<string, string>) =>
      call(path, {
        method: "POST",
        ip: freshIp(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
      });
    const started = await json(
      await form("/oauth/device_authorization", { client_id: "latchkey-cli", hostname: "box" }),
    );
    expect((await who.send("POST", "/device/approve", { user_code: started.user_code })).status).toBe(200);
    const res = await form("/oauth/token", {
      grant_type: DEVICE_GRANT,
      device_code: started.device_code,
      client_id: "latchkey-cli",
    });
    expect(res.status).toBe(200);
    return json(res);
  };

  it("lets the tenant's owner change the role of and remove someone there by membership, ending their access there only", async () => {
    const umbrellaLink = await ownerLinkOf("Umbrella", "umbrella");
    const initechLink = await ownerLinkOf("Initech", "initech");
    const ursula = await firstOwner(umbrellaLink, "ursula@umbrella.example");
    expect((await ursula.send("POST", "/auth/claim-owner", { token: tokenOf(initechLink) })).status).toBe(200);

    // Ursula is Initech's only owner, by membership: the last-owner rule counts her.
    expect(await memberOf(ursula, "ursula@umbrella.example")).toMatchObject({ role: "owner" });
    const ursulaId = (await memberOf(ursula, "ursula@umbrella.example")).id;
    await expectProblem(await ursula.send("PATCH", `/members/${ursulaId}`, { role: "admin" }), 409, "last_owner");
    await expectProblem(await ursula.send("DELETE", `/members/${ursulaId}`), 409, "last_owner");

    const samir = await inviteInto(ursula, "samir@initech.example", "owner");
    const changed = await samir.send("PATCH", `/members/${ursulaId}`, { role: "admin" });
    expect(changed.status).toBe(200);
    expect(await json(changed)).toMatchObject({ id: ursulaId, role: "admin" });
    expect((await json(await ursula.send("GET", "/me"))).user).toMatchObject({ tenant_id: "initech", role: "admin" });
    const device = await deviceSignIn(ursula);
    expect(decodeJwt(device.access_token)).toMatchObject({ iss: `${ISSUER}/t/initech`, tenant: "initech" });
    expect(device.scope.split(" ")).not.toContain("members:write");

    expect((await samir.send("DELETE", `/members/${ursulaId}`)).status).toBe(204);
    expect(await memberOf(samir, "ursula@umbrella.example")).toBeUndefined();
    expect((await ursula.send("GET", "/me")).status).toBe(401);
    const refreshed = await tokenRequest(
      { grant_type: "refresh_token", refresh_token: device.refresh_token, client_id: "latchkey-cli" },
      { ip: freshIp() },
    );
    await expectOAuthError(refreshed, 400, "invalid_grant");
    const withToken = await call("/api/v1/credentials", {
      headers: { authorization: `Bearer ${device.access_token}` },
    });
    expect(withToken.status).toBe(401);
    const audit = await json(await samir.send("GET", "/audit"));
    expect(audit.events.filter((e: Json) => e.target_id === ursulaId).map((e: Json) => e.action)).toEqual(
      expect.arrayContaining(["member.role.change", "member.remove"]),
    );

    // Her own tenant is untouched: she signs in there as its owner, and Initech is gone from her list.
    const again = await login("ursula@umbrella.example");
    expect(await json(await again.send("GET", "/me/tenants"))).toMatchObject({
      active: "umbrella",
      tenants: [{ id: "umbrella", role: "owner" }],
    });
    expect((await json(await again.send("GET", "/me/tenants"))).tenants).toHaveLength(1);
  });

  it("invites someone who has an account elsewhere: they sign in and join by membership, once, as themselves", async () => {
    const starkLink = await ownerLinkOf("Stark", "stark");
    const oscorpLink = await ownerLinkOf("Oscorp", "oscorp");
    const tony = await firstOwner(starkLink, "tony@stark.example");
    const norman = await firstOwner(oscorpLink, "norman@oscorp.example");
    const harry = await inviteInto(norman, "harry@oscorp.example", "viewer");

    // Tony may invite Norman: the answer does not tell Stark that the email has an account elsewhere.
    const made = await tony.send("POST", "/invitations", { email: "norman@oscorp.example", role: "admin" });
    expect(made.status).toBe(201);
    const token = tokenOf((await json(made)).url);
    const asOwner = await tony.send("POST", "/invitations", { email: "norman@oscorp.example", role: "owner" });
    const ownerToken = tokenOf((await json(asOwner)).url);
    await expectProblem(
      await tony.send("POST", "/invitations", { email: "tony@stark.example", role: "viewer" }),
      409,
      "already_member",
    );
    expect(await json(await postJson("/auth/invitation", { token }))).toMatchObject({
      email: "norman@oscorp.example",
      role: "admin",
      tenant: { id: "stark", name: "Stark" },
      account: "existing",
    });
    // The link holder cannot make a second account with the email, nor join without being signed in as it.
    await expectProblem(
      await postJson("/auth/accept-invite", { token, name: "Fake", password: PASSWORD }),
      409,
      "account_exists",
    );
    await expectProblem(await postJson("/auth/join", { token }), 401, "unauthorized");
    await expectProblem(await harry.send("POST", "/auth/join", { token }), 403, "forbidden");
    const crossSite = await call("/api/v1/auth/join", {
      method: "POST",
      headers: {
        cookie: `${COOKIE}=${norman.cookie}`,
        origin: "https://evil.example",
        "content-type": "application/json",
      },
      body: JSON.stringify({ token }),
    });
    await expectProblem(crossSite, 403, "csrf");

    const joined = await norman.send("POST", "/auth/join", { token });
    expect(joined.status).toBe(200);
    expect(joined.headers.get("cache-control")).toBe("no-store");
    expect(await json(joined)).toEqual({ tenant: { id: "stark" }, role: "admin" });
    expect((await json(await norman.send("GET", "/me"))).user).toMatchObject({ tenant_id: "stark", role: "admin" });
    await expectProblem(await norman.send("POST", "/auth/join", { token }), 400, "invalid_invitation");
    expect((await json(await norman.send("GET", "/me/tenants"))).tenants.map((t: Json) => [t.id, t.role])).toEqual([
      ["oscorp", "owner"],
      ["stark", "admin"],
    ]);
    expect(await memberOf(tony, "norman@oscorp.example")).toMatchObject({ role: "admin" });
    const audit = await json(await tony.send("GET", "/audit?action=invitation.accept"));
    expect(audit.events[0]).toMatchObject({
      actor: "user:norman@oscorp.example",
      detail: { role: "admin", membership: true },
    });
    // An admin by membership cannot invite (members:write is the owners').
    await expectProblem(
      await norman.send("POST", "/invitations", { email: "x@stark.example", role: "viewer" }),
      403,
      "forbidden",
    );
    // The second, still pending link cannot raise him while he is in, nor bring him back once removed.
    await expectProblem(await norman.send("POST", "/auth/join", { token: ownerToken }), 409, "already_member");
    const normanId = (await memberOf(tony, "norman@oscorp.example")).id;
    expect((await tony.send("DELETE", `/members/${normanId}`)).status).toBe(204);
    const back = await login("norman@oscorp.example");
    await expectProblem(await back.send("POST", "/auth/join", { token: ownerToken }), 400, "invalid_invitation");
    const removals = await json(await tony.send("GET", `/audit?action=member.remove`));
    expect(removals.events.filter((e: Json) => e.target_id === normanId)).toHaveLength(1);
  });

  it("removing someone from their home tenant keeps their other tenants: the oldest becomes their home", async () => {
    const wayneLink = await ownerLinkOf("Wayne", "wayne");
    const vandelayLink = await ownerLinkOf("Vandelay", "vandelay");
    const bruce = await firstOwner(wayneLink, "bruce@wayne.example");
    const alfred = await inviteInto(bruce, "alfred@wayne.example", "owner");
    const claimed = await alfred.send("POST", "/auth/claim-owner", { token: tokenOf(vandelayLink) });
    expect(claimed.status).toBe(200);
    const alfredId = (await memberOf(bruce, "alfred@wayne.example")).id;

    expect((await bruce.send("DELETE", `/members/${alfredId}`)).status).toBe(204);
    expect(await memberOf(bruce, "alfred@wayne.example")).toBeUndefined();
    // His session was active in Vandelay, so it lives on; there he is still the owner, now at home.
    expect((await json(await alfred.send("GET", "/me"))).user).toMatchObject({ tenant_id: "vandelay", role: "owner" });
    const again = await login("alfred@wayne.example");
    const listed = await json(await again.send("GET", "/me/tenants"));
    expect(listed.tenants.map((t: Json) => [t.id, t.role])).toEqual([["vandelay", "owner"]]);
    // Bruce is now Wayne's last owner.
    const bruceId = (await memberOf(bruce, "bruce@wayne.example")).id;
    await expectProblem(await bruce.send("DELETE", `/members/${bruceId}`), 409, "last_owner");
  });
});

describe("setup redeem under a tenant path", () => {
  it("answers the credential's own issuer", async () => {
    const created = await json(
      await globex.admin.admin("POST", "/credentials", {
        label: "secret-by-code",
        grants: [{ resource: SHARED_API, scopes: ["read"] }],
        delivery: "setup_code",
        mode: "secret",
      }),
    );
    const res = await redeem({ code: created.setup_code.code, mode: "secret" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ issuer: globex.issuer, token_endpoint: `${globex.issuer}/oauth/token` });
    expect((await mint({ clientId: body.client_id, secret: body.client_secret })).status).toBe(200);
  });
});
