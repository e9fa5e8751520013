/**
 * Federated workload identities and RFC 8693 token exchange, against a real local OIDC issuer (node, on
 * 127.0.0.1, real keys) reached from workerd: creation safety rules per preset, the exchange per preset, every
 * refusal as the one 400 invalid_request with its reason in the log (wrong iss, aud, sub, claim, expired, not
 * yet valid, too old, replayed jti, unknown kid with one refetch under a cooldown, alg none, HS256, a JWKS too
 * large, too slow or redirected, a discovery naming another issuer, a revoked credential, a deleted rule), the
 * admin's dry run, audit, usage and the mint log line. Longer than 300 lines: it is the one file for the
 * feature, so workerd and the issuer's keys start once.
 */
import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { OAUTH_DESCRIPTIONS } from "../../src/domain/errors";
import { setLogSink } from "../../src/log";
import { setUsageFlushWindow } from "../../src/services/isolate-caches";
import {
  ACCESS_TOKEN_TYPE,
  exchange,
  issuerStats,
  issuerUrl,
  LOOPBACK_ISSUER,
  loopbackIssuerOf,
  loopbackRealmPath,
  loopbackTenant,
  loopCall,
  subjectToken,
  TOKEN_EXCHANGE,
} from "../support/federation";
import { setupTenant } from "../support/harness";
import { expectInvalidClient, expectOAuthError, expectProblem, type Json } from "../support/wire";

const API = "https://api.example.com/deploy";
/** The tenant these tests work in, and its issuer (docs/realms.md): its rules' default audience, its tokens' iss. */
const TENANT = "federation-tests";
const TENANT_ISSUER = loopbackIssuerOf(TENANT);
const TOKEN_PATH = `${loopbackRealmPath(TENANT)}/oauth/token`;
const REFUSED = OAUTH_DESCRIPTIONS.invalidSubjectToken;
const GITHUB = { repository_owner_id: "456", repository_id: "123", repository: "acme/api", ref: "refs/heads/main" };
let t: Awaited<ReturnType<typeof loopbackTenant>>;

async function newCredential(extra: Record<string, unknown> = {}) {
  const res = await t.admin("POST", "/credentials", {
    label: `fed-${crypto.randomUUID().slice(0, 8)}`,
    grants: [{ resource: API, scopes: ["deploy:read", "deploy:write"] }],
    ...extra,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function addRule(clientId: string, body: Record<string, unknown>) {
  const res = await t.admin("POST", `/credentials/${clientId}/federated-identities`, body);
  const json = (await res.json()) as Json;
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json;
}

/** A credential trusting the local issuer `name` for subject `sub`. */
async function trusting(name: string, sub = "workload-1", extra: Record<string, unknown> = {}) {
  const clientId = await newCredential();
  const rule = await addRule(clientId, { preset: "generic", issuer: issuerUrl(name), subject: sub, ...extra });
  return { clientId, rule };
}

async function expectRefused(res: Response, why: string) {
  await expectOAuthError(res, 400, "invalid_request", { description: REFUSED, why });
}

/** Captures log lines while `work` runs. */
async function logged(work: () => Promise<unknown>): Promise<Json[]> {
  const lines: string[] = [];
  setLogSink((_level, line) => lines.push(line));
  try {
    await work();
  } finally {
    setLogSink();
  }
  return lines.map((l) => JSON.parse(l) as Json);
}

beforeAll(async () => {
  // Usage is written at once, so a test waiting for the request's background work never waits for a window.
  setUsageFlushWindow(0);
  t = await loopbackTenant(TENANT);
  const res = await t.admin("POST", "/resources", {
    uri: API,
    name: "Deploy",
    scopes: [{ name: "deploy:read" }, { name: "deploy:write", write: true }],
  });
  expect(res.status).toBe(201);
});

afterEach(() => {
  vi.useRealTimers();
  setLogSink();
});

describe("metadata", () => {
  it("lists the token-exchange grant and keeps the confidential auth methods", async () => {
    const meta = (await (await loopCall("/.well-known/oauth-authorization-server")).json()) as Json;
    expect(meta.grant_types_supported).toEqual([
      "client_credentials",
      TOKEN_EXCHANGE,
      "urn:ietf:params:oauth:grant-type:device_code",
      "refresh_token",
    ]);
    expect(meta.token_endpoint_auth_methods_supported).toEqual([
      "client_secret_basic",
      "client_secret_post",
      "private_key_jwt",
      "none",
    ]);
    expect(meta.token_endpoint_auth_methods_supported).not.toContain("subject_token");
  });
});

describe("creating federated identities", () => {
  it("refuses rules that would accept every token of an issuer, or trust a non-public issuer", async () => {
    const clientId = await newCredential();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["github without ids", { preset: "github-actions", claims: { repository: "acme/api" } }, /must pin/],
      ["github, ids not numeric", { preset: "github-actions", claims: { ...GITHUB, repository_id: "1*" } }, /must pin/],
      [
        "github issuer without the preset",
        { issuer: "https://token.actions.githubusercontent.com", subject: "repo:acme/api:ref:refs/heads/main" },
        /must pin/,
      ],
      ["gitlab without ids", { preset: "gitlab", claims: { ref: "main" } }, /namespace_id and project_id/],
      ["no condition", { preset: "generic", issuer: issuerUrl("plain") }, /subject or at least one claim/],
      ["match-all subject", { issuer: issuerUrl("plain"), subject: "*" }, /matches every value/],
      ["aud as a claim", { issuer: issuerUrl("plain"), claims: { aud: "x" } }, /cannot be claim conditions/],
      ["kubernetes subject", { preset: "kubernetes", issuer: issuerUrl("k8s"), subject: "default" }, /serviceaccount/],
      ["no issuer", { preset: "generic", subject: "x" }, /needs the issuer/],
      ["private host", { issuer: "https://10.0.0.8/oidc", subject: "x" }, /public host name/],
      ["http public host", { issuer: "http://issuer.example.com", subject: "x" }, /https URL/],
    ];
    for (const [why, body, detail] of cases) {
      const res = await t.admin("POST", `/credentials/${clientId}/federated-identities`, body);
      const problem = await expectProblem(res, 400, "invalid_request", { why });
      expect(problem.detail, why).toMatch(detail);
    }
    const list = await (await t.admin("GET", `/credentials/${clientId}/federated-identities`)).json();
    expect(list).toEqual({ federated_identities: [] });
  });

  it("refuses a loopback issuer while Latchkey itself is not on loopback", async () => {
    const https = await setupTenant("federation-https");
    const cred = await https.admin("POST", "/credentials", {
      label: "svc",
      grants: [{ resource: "urn:latchkey:management", scopes: ["audit:read"] }],
    });
    const id = ((await cred.json()) as { id: string }).id;
    const res = await https.admin("POST", `/credentials/${id}/federated-identities`, {
      issuer: issuerUrl("plain"),
      subject: "x",
    });
    const problem = await expectProblem(res, 400, "invalid_request");
    expect(problem.detail).toMatch(/loopback/);
  });

  it("creates, lists, audits and deletes; at most 20 per credential", async () => {
    const clientId = await newCredential();
    const rule = await addRule(clientId, {
      preset: "github-actions",
      issuer: issuerUrl("gh"),
      claims: { ...GITHUB, environment: "production" },
      max_token_lifetime: 600,
    });
    expect(rule).toEqual({
      id: expect.stringMatching(/^fid_/),
      preset: "github-actions",
      issuer: issuerUrl("gh"),
      audience: TENANT_ISSUER,
      subject: null,
      claims: { ...GITHUB, environment: "production" },
      max_token_lifetime: 600,
      created_at: expect.any(String),
      created_by: expect.stringMatching(/^svc:admin-/),
      last_used_at: null,
      last_subject: null,
    });
    const list = (await (await t.admin("GET", `/credentials/${clientId}/federated-identities`)).json()) as Json;
    expect(list.federated_identities).toEqual([rule]);
    for (let i = 1; i < 20; i++) await addRule(clientId, { issuer: issuerUrl("gh2"), subject: `job-${i}` });
    const over = await t.admin("POST", `/credentials/${clientId}/federated-identities`, {
      issuer: issuerUrl("gh2"),
      subject: "one-too-many",
    });
    await expectProblem(over, 409, "conflict");
    const deleted = await t.admin("DELETE", `/credentials/${clientId}/federated-identities/${rule.id}`);
    expect(deleted.status).toBe(200);
    expect(((await deleted.json()) as Json).federated_identities).toHaveLength(19);
    await expectProblem(
      await t.admin("DELETE", `/credentials/${clientId}/federated-identities/${rule.id}`),
      404,
      "not_found",
    );
    const audit = (await (await t.admin("GET", `/audit?target=${clientId}`)).json()) as Json;
    const actions = (audit.events as Json[]).map((e) => e.action);
    expect(actions.filter((a) => a === "credential.federated_identity.create")).toHaveLength(20);
    expect(actions.filter((a) => a === "credential.federated_identity.delete")).toHaveLength(1);
    const create = (audit.events as Json[]).find((e) => e.detail?.identity === rule.id && e.action.endsWith("create"));
    expect(create?.detail).toMatchObject({ issuer: issuerUrl("gh"), claims: rule.claims, preset: "github-actions" });
  });

  it("applies the authority rule: a caller without a credential's management scopes cannot add a rule to it", async () => {
    const clientId = await newCredential({
      grants: [{ resource: "urn:latchkey:management", scopes: ["audit:read"] }],
    });
    const writer = await loopbackTenant(TENANT, ["credentials:write", "credentials:read"]);
    const res = await writer.admin("POST", `/credentials/${clientId}/federated-identities`, {
      issuer: issuerUrl("plain"),
      subject: "x",
    });
    await expectProblem(res, 403, "forbidden", { fields: { missing_scopes: ["audit:read"] } });
  });
});

describe("the exchange", () => {
  it("github-actions: mints an ordinary access token that verifies against Latchkey's JWKS, capped lifetime", async () => {
    const clientId = await newCredential();
    const rule = await addRule(clientId, {
      preset: "github-actions",
      issuer: issuerUrl("gh-ok"),
      claims: { ...GITHUB, ref: "refs/heads/*" },
      max_token_lifetime: 600,
    });
    const token = await subjectToken("gh-ok", {
      claims: { ...GITHUB, sub: "repo:acme/api:ref:refs/heads/main", aud: TENANT_ISSUER },
    });
    const events = await logged(async () => {
      const res = await exchange(clientId, token, { scope: "deploy:read", requested_token_type: ACCESS_TOKEN_TYPE });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("pragma")).toBe("no-cache");
      const body = (await res.json()) as Json;
      expect(body).toEqual({
        access_token: expect.any(String),
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: "Bearer",
        expires_in: 600,
        scope: "deploy:read",
      });
      const jwks = await (await loopCall(`${loopbackRealmPath(TENANT)}/.well-known/jwks.json`)).json();
      const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks as never), {
        issuer: TENANT_ISSUER,
        audience: API,
        typ: "at+jwt",
      });
      expect(protectedHeader.typ).toBe("at+jwt");
      expect(payload).toMatchObject({ sub: clientId, client_id: clientId, scope: "deploy:read" });
      expect((payload.exp as number) - (payload.iat as number)).toBe(600);
      expect(JSON.stringify(payload)).not.toContain("repo:acme");
    });
    const minted = events.filter((e) => e.event === "token_minted");
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({
      client_id: clientId,
      method: "subject_token",
      federated_identity: rule.id,
      federated_sub: "repo:acme/api:ref:refs/heads/main",
      actor: expect.stringMatching(/^svc:fed-/),
    });
    expect(JSON.stringify(events)).not.toContain(token);
    const list = (await (await t.admin("GET", `/credentials/${clientId}/federated-identities`)).json()) as Json;
    expect(list.federated_identities[0]).toMatchObject({
      last_used_at: expect.any(String),
      last_subject: "repo:acme/api:ref:refs/heads/main",
    });
  });

  it("gitlab, kubernetes and generic presets mint; scope and resource narrowing are as for a secret", async () => {
    const gitlab = await newCredential();
    await addRule(gitlab, {
      preset: "gitlab",
      issuer: issuerUrl("gitlab"),
      audience: "latchkey-ci",
      claims: { namespace_id: "77", project_id: "42", ref_type: "branch" },
    });
    const glToken = await subjectToken("gitlab", {
      alg: "RS256",
      claims: {
        sub: "project_path:acme/api:ref_type:branch:ref:main",
        aud: "latchkey-ci",
        namespace_id: "77",
        project_id: "42",
        ref_type: "branch",
      },
    });
    expect((await exchange(gitlab, glToken)).status).toBe(200);

    const k8s = await newCredential();
    await addRule(k8s, {
      preset: "kubernetes",
      issuer: issuerUrl("k8s"),
      subject: "system:serviceaccount:ci:deployer",
    });
    const k8sToken = await subjectToken("k8s", {
      alg: "PS256",
      claims: { sub: "system:serviceaccount:ci:deployer", aud: [TENANT_ISSUER, "https://kubernetes.default.svc"] },
    });
    const k8sRes = await exchange(k8s, k8sToken, { subject_token_type: "urn:ietf:params:oauth:token-type:id_token" });
    expect(k8sRes.status).toBe(200);

    const { clientId } = await trusting("generic", "workload-1");
    const mint = (claims: Json = {}) =>
      subjectToken("generic", { alg: "EdDSA", claims: { sub: "workload-1", aud: TENANT_ISSUER, ...claims } });
    expect((await exchange(clientId, await mint(), { resource: API })).status).toBe(200);
    await expectOAuthError(await exchange(clientId, await mint(), { scope: "admin" }), 400, "invalid_scope");
    await expectOAuthError(
      await exchange(clientId, await mint(), { resource: "https://other.example" }),
      400,
      "invalid_target",
    );
    await expectOAuthError(
      await exchange(clientId, await mint(), {
        requested_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
      }),
      400,
      "invalid_request",
      { description: OAUTH_DESCRIPTIONS.unsupportedRequestedTokenType },
    );
  });

  it("answers every invalid or untrusted subject token with the same 400 and logs the reason", async () => {
    const { clientId } = await trusting("neg", "workload-1", { claims: { env: "prod" } });
    const good = { sub: "workload-1", aud: TENANT_ISSUER, env: "prod" };
    const hs256 = await new SignJWT({ ...good, iss: issuerUrl("neg") })
      .setProtectedHeader({ alg: "HS256", kid: "es256-1" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("k".repeat(32)));
    const b64 = (o: Json) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: "none" })}.${b64({ ...good, iss: issuerUrl("neg"), iat: now, exp: now + 300 })}.`;
    const cases: [string, string, RegExp][] = [
      ["wrong iss", await subjectToken("other", { claims: good }), /no federated identity/],
      ["wrong aud", await subjectToken("neg", { claims: { ...good, aud: "https://elsewhere" } }), /: aud/],
      ["root issuer as aud", await subjectToken("neg", { claims: { ...good, aud: LOOPBACK_ISSUER } }), /: aud/],
      ["wrong sub", await subjectToken("neg", { claims: { ...good, sub: "workload-2" } }), /: sub/],
      ["claim mismatch", await subjectToken("neg", { claims: { ...good, env: "dev" } }), /claim env/],
      ["claim missing", await subjectToken("neg", { claims: { sub: "workload-1", aud: TENANT_ISSUER } }), /claim env/],
      ["expired", await subjectToken("neg", { claims: good, iatOffset: -600, expiresIn: 300 }), /exp/],
      ["not yet valid", await subjectToken("neg", { claims: { ...good, nbf: now + 600 } }), /nbf/],
      ["too old", await subjectToken("neg", { claims: good, iatOffset: -7200, expiresIn: 9000 }), /iat|too old|age/i],
      ["unknown kid", await subjectToken("neg", { claims: good, unpublished: true }), /kid|no matching key/i],
      ["HS256", hs256, /alg|ERR_/],
      ["alg none", none, /alg|ERR_/],
      ["not a JWT", "not.a.jwt", /not a JWT/],
    ];
    for (const [why, token, reason] of cases) {
      const events = await logged(async () => expectRefused(await exchange(clientId, token), why));
      const errors = events.filter((e) => e.event === "oauth_error");
      expect(errors, why).toHaveLength(1);
      expect(errors[0]?.reason, why).toMatch(reason);
      expect(JSON.stringify(events), why).not.toContain(token.slice(-20));
    }
    expect((await exchange(clientId, await subjectToken("neg", { claims: good }))).status).toBe(200);
  });

  it("refuses a replayed jti for the same identity, and a missing or wrong subject_token_type", async () => {
    const { clientId } = await trusting("replay");
    const token = await subjectToken("replay", { claims: { sub: "workload-1", aud: TENANT_ISSUER } });
    expect((await exchange(clientId, token)).status).toBe(200);
    const events = await logged(async () => expectRefused(await exchange(clientId, token), "replay"));
    expect(events.find((e) => e.event === "oauth_error")?.reason).toMatch(/replayed/);
    const fresh = await subjectToken("replay", { claims: { sub: "workload-1", aud: TENANT_ISSUER } });
    await expectRefused(await exchange(clientId, fresh, { subject_token_type: ACCESS_TOKEN_TYPE }), "type");
    await expectRefused(await exchange(clientId, fresh, { subject_token: "" }), "no token");
    expect((await exchange(clientId, fresh)).status).toBe(200);
  });

  it("refuses a subject token at another tenant's endpoint without spending its jti", async () => {
    const { clientId } = await trusting("wrong-realm");
    const token = await subjectToken("wrong-realm", { claims: { sub: "workload-1", aud: TENANT_ISSUER } });
    const events = await logged(async () =>
      expectRefused(await exchange(clientId, token, {}, "/oauth/token"), "root endpoint"),
    );
    expect(events.find((e) => e.event === "oauth_error")?.reason).toMatch(/another tenant's realm/);
    expect((await exchange(clientId, token)).status).toBe(200);
  });

  it.each([
    ["large-jwks", /larger than/],
    ["slow-jwks", /fetch failed|timed out|abort/i],
    ["redirect-jwks", /answered 302/],
    ["liar-issuer", /another issuer/],
  ])("refuses an issuer that misbehaves: %s", async (name, reason) => {
    const { clientId } = await trusting(name);
    const token = await subjectToken(name, { claims: { sub: "workload-1", aud: TENANT_ISSUER } });
    const events = await logged(async () => expectRefused(await exchange(clientId, token), name));
    expect(events.find((e) => e.event === "oauth_error")?.reason, name).toMatch(reason);
  });

  it("refetches the JWKS once on an unknown kid, then not again within the cooldown", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { clientId } = await trusting("rotating");
    const mint = (unpublished = false) =>
      subjectToken("rotating", { claims: { sub: "workload-1", aud: TENANT_ISSUER }, unpublished });
    expect((await exchange(clientId, await mint())).status).toBe(200);
    expect(await issuerStats("rotating")).toEqual({ discovery: 1, jwks: 1 });
    await expectRefused(await exchange(clientId, await mint(true)), "unknown kid at once");
    expect((await issuerStats("rotating")).jwks).toBe(1);
    vi.setSystemTime(Date.now() + 31_000);
    await expectRefused(await exchange(clientId, await mint(true)), "unknown kid after the cooldown");
    expect((await issuerStats("rotating")).jwks).toBe(2);
    await expectRefused(await exchange(clientId, await mint(true)), "unknown kid again");
    expect((await issuerStats("rotating")).jwks).toBe(2);
    await fetch(`${issuerUrl("rotating")}/rotate`, { method: "POST" });
    vi.setSystemTime(Date.now() + 31_000);
    expect((await exchange(clientId, await mint())).status).toBe(200);
    expect((await issuerStats("rotating")).jwks).toBe(3);
  });

  it("mints nothing for a revoked credential or a deleted rule; client_id alone is no client_credentials", async () => {
    const { clientId, rule } = await trusting("standing");
    const mint = () => subjectToken("standing", { claims: { sub: "workload-1", aud: TENANT_ISSUER } });
    expect((await exchange(clientId, await mint())).status).toBe(200);
    const cc = await loopCall(TOKEN_PATH, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId }).toString(),
    });
    await expectInvalidClient(cc);
    await t.admin("DELETE", `/credentials/${clientId}/federated-identities/${rule.id}`);
    await expectRefused(await exchange(clientId, await mint()), "deleted rule");
    const other = await trusting("standing", "workload-9");
    const revoke = await t.admin("POST", `/credentials/${other.clientId}/revoke`, {
      confirm_label: ((await (await t.admin("GET", `/credentials/${other.clientId}`)).json()) as Json).label,
    });
    expect(revoke.status).toBe(200);
    const token = await subjectToken("standing", { claims: { sub: "workload-9", aud: TENANT_ISSUER } });
    await expectRefused(await exchange(other.clientId, token), "revoked");
    await expectRefused(await exchange("lkc_unknownunknownunknownu", token, {}, TOKEN_PATH), "unknown client");
  });
});

describe("the admin's dry run", () => {
  it("names the rule that matched, or the condition each rule failed, without consuming the jti", async () => {
    const { clientId, rule } = await trusting("dry", "workload-1", { claims: { env: "prod" } });
    const second = await addRule(clientId, { issuer: issuerUrl("dry"), subject: "workload-2" });
    const token = await subjectToken("dry", { claims: { sub: "workload-1", aud: TENANT_ISSUER, env: "prod" } });
    const test = (subject_token: string) =>
      t.admin("POST", `/credentials/${clientId}/federated-identities/test`, { subject_token });
    const res = await test(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      matched: rule.id,
      token_problem: null,
      credential_status: "active",
      rules: [
        { id: rule.id, failed: null },
        { id: second.id, failed: "sub" },
      ],
      claims: expect.objectContaining({ sub: "workload-1", env: "prod" }),
    });
    const bad = await subjectToken("dry", { claims: { sub: "workload-1", aud: TENANT_ISSUER, env: "dev" } });
    expect(((await (await test(bad)).json()) as Json).rules).toEqual([
      { id: rule.id, failed: "claim env" },
      { id: second.id, failed: "sub" },
    ]);
    const foreign = await subjectToken("elsewhere", { claims: { sub: "workload-1" } });
    expect(await (await test(foreign)).json()).toMatchObject({
      matched: null,
      token_problem: expect.stringMatching(/no federated identity/),
    });
    expect((await exchange(clientId, token)).status).toBe(200);
  });
});
