/**
 * The admin API against real D1 and KV: authorization of bearer callers (401/403 as problem+json),
 * resources, the credential lifecycle and its rules (secret shown once, grants only shrink, write scopes
 * only at creation, revoke by label), the audit log, tenant isolation, bootstrap, and the OpenAPI document.
 */
import { createExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/config";
import { requireCredential, retireCredentialSecret, revokeCredential } from "../../src/services/credentials";
import { newClientKey, redeem } from "../support/client-keys";
import {
  call,
  env,
  freshIp,
  ISSUER,
  setupTenant,
  testContext,
  tokenRequest,
  type TestTenant,
} from "../support/harness";
import { expectProblem } from "../support/wire";

const DOCS = "https://api.example.com/docs";
let t: TestTenant;

async function createCredential(body: Record<string, unknown>) {
  return t.admin("POST", "/credentials", {
    label: `c-${crypto.randomUUID().slice(0, 8)}`,
    grants: [{ resource: DOCS, scopes: ["docs:read"] }],
    ...body,
  });
}

beforeAll(async () => {
  t = await setupTenant("admin-tests");
  const res = await t.admin("POST", "/resources", {
    uri: DOCS,
    name: "Docs API",
    scopes: [
      { name: "docs:read", description: "Read documents" },
      { name: "docs:write", description: "Change documents", write: true },
    ],
  });
  expect(res.status).toBe(201);
});

describe("authorization", () => {
  it("requires a valid management token (401 problem with a Bearer challenge)", async () => {
    for (const authorization of [
      undefined,
      "Bearer nonsense",
      "Basic abc",
      `Bearer ${t.adminToken.slice(0, -4)}AAAA`,
    ]) {
      const res = await call("/api/v1/credentials", { headers: authorization ? { authorization } : {} });
      await expectProblem(res, 401, "unauthorized");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="latchkey"');
    }
  });

  it("refuses tokens for other audiences and credentials without the needed scope", async () => {
    // A token for an ordinary API is not a management token.
    const docs = (await (await createCredential({})).json()) as { client_id: string; client_secret: string };
    const docsToken = (await (
      await tokenRequest(
        { grant_type: "client_credentials" },
        { basic: [docs.client_id, docs.client_secret], ip: freshIp() },
      )
    ).json()) as { access_token: string };
    await expectProblem(
      await call("/api/v1/credentials", { headers: { authorization: `Bearer ${docsToken.access_token}` } }),
      401,
      "unauthorized",
    );

    const reader = await setupTenant("admin-tests", ["credentials:read"]);
    expect((await reader.admin("GET", "/credentials")).status).toBe(200);
    const denied = await expectProblem(
      await reader.admin("POST", "/credentials", { label: "x", grants: [{ resource: DOCS, scopes: ["docs:read"] }] }),
      403,
      "forbidden",
    );
    expect(denied.detail).toBe("This action needs the credentials:write scope.");
    await expectProblem(await reader.admin("GET", "/audit"), 403, "forbidden");
    await expectProblem(
      await reader.admin("POST", "/resources", { uri: "https://x.example", name: "x", scopes: [{ name: "a" }] }),
      403,
      "forbidden",
    );
  });

  it("stops a revoked management credential on its very next call, though its token has not expired", async () => {
    const other = await setupTenant("admin-tests");
    expect((await other.admin("GET", "/credentials")).status).toBe(200);
    const view = (await (await t.admin("GET", `/credentials/${other.adminClientId}`)).json()) as { label: string };
    expect(
      (await t.admin("POST", `/credentials/${other.adminClientId}/revoke`, { confirm_label: view.label })).status,
    ).toBe(200);
    await expectProblem(await other.admin("GET", "/credentials"), 401, "unauthorized");
  });
  it("applies a narrowed management grant to tokens already issued, on their very next call", async () => {
    const other = await setupTenant("admin-tests");
    expect(
      (
        await other.admin("POST", "/credentials", {
          label: `n-${crypto.randomUUID().slice(0, 8)}`,
          grants: [{ resource: DOCS, scopes: ["docs:read"] }],
        })
      ).status,
    ).toBe(201);
    const narrowed = await t.admin("PATCH", `/credentials/${other.adminClientId}`, {
      grants: [{ resource: "urn:latchkey:management", scopes: ["credentials:read"] }],
    });
    expect(narrowed.status).toBe(200);
    // The old token still says credentials:write, but the credential no longer holds it.
    await expectProblem(
      await other.admin("POST", "/credentials", {
        label: `n-${crypto.randomUUID().slice(0, 8)}`,
        grants: [{ resource: DOCS, scopes: ["docs:read"] }],
      }),
      403,
      "forbidden",
    );
    expect((await other.admin("GET", "/credentials")).status).toBe(200);
  });
});

describe("resources", () => {
  it("lists the built-in management resource and validates new ones", async () => {
    const list = (await (await t.admin("GET", "/resources")).json()) as {
      resources: { uri: string; builtin: boolean }[];
    };
    expect(list.resources.map((r) => [r.uri, r.builtin])).toEqual([
      ["urn:latchkey:management", true],
      [DOCS, false],
    ]);
    await expectProblem(
      await t.admin("POST", "/resources", { uri: DOCS, name: "again", scopes: [{ name: "a" }] }),
      409,
      "conflict",
    );
    const bad = await expectProblem(
      await t.admin("POST", "/resources", { uri: "not a uri", name: "", scopes: [] }),
      400,
      "invalid_request",
    );
    expect((bad.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(["name", "scopes", "uri"]);
    await expectProblem(
      await t.admin("POST", "/resources", {
        uri: "https://dup.example",
        name: "d",
        scopes: [{ name: "a" }, { name: "a" }],
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", "/resources", { uri: "https://q.example", name: "q", scopes: [{ name: 'bad"scope' }] }),
      400,
      "invalid_request",
    );
  });

  it("answers a JSON body not sent as JSON 415, and takes application/json with a charset", async () => {
    const body = JSON.stringify({ uri: "https://media.example", name: "media", scopes: [{ name: "a" }] });
    const post = (contentType?: string) =>
      call("/api/v1/resources", {
        method: "POST",
        headers: {
          authorization: `Bearer ${t.adminToken}`,
          ...(contentType === undefined ? {} : { "content-type": contentType }),
        },
        body,
      });
    for (const contentType of [undefined, "text/plain", "application/x-www-form-urlencoded"]) {
      const problem = await expectProblem(await post(contentType), 415, "unsupported_media_type", { why: contentType });
      expect(problem.detail).toMatch(/Content-Type: application\/json/);
    }
    expect((await post("application/json; charset=utf-8")).status).toBe(201);
  });
});

describe("credential lifecycle", () => {
  it("creates a credential, shows its secret exactly once, and records who created it", async () => {
    const res = await createCredential({
      label: "nightly-backup",
      groups: ["ops", "ops", "data"],
      token_lifetime: 900,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = (await res.json()) as Record<string, unknown> & { id: string; client_secret: string };
    expect(res.headers.get("location")).toBe(`/api/v1/credentials/${created.id}`);
    expect(created).toMatchObject({
      client_id: created.id,
      label: "nightly-backup",
      name: "svc:nightly-backup",
      status: "active",
      grants: [{ resource: DOCS, scopes: ["docs:read"] }],
      scopes: ["docs:read"],
      groups: ["ops", "data"],
      token_lifetime: 900,
      created_by: expect.stringMatching(/^svc:admin-/),
      last_used_at: null,
      mint_count: 0,
    });
    const fetched = await (await t.admin("GET", `/credentials/${created.id}`)).text();
    const listed = await (await t.admin("GET", "/credentials")).text();
    for (const text of [fetched, listed]) {
      expect(text).not.toContain(created.client_secret);
      expect(text).not.toContain("client_secret");
      expect(text).not.toContain("secret_hash");
    }
    expect(JSON.parse(fetched).secrets).toEqual([
      expect.objectContaining({ hint: created.client_secret.slice(0, 8), status: "active", last_used_at: null }),
    ]);
    // D1 holds only the keyed hash.
    const stored = await env.DB.prepare("select * from credential_secrets where credential_id = ?")
      .bind(created.id)
      .all();
    expect(JSON.stringify(stored.results)).not.toContain(created.client_secret.slice(8));
  });

  it("validates labels, grants, expiry and unknown fields", async () => {
    await expectProblem(await createCredential({ label: "nightly-backup" }), 409, "conflict");
    await expectProblem(
      await createCredential({ grants: [{ resource: "https://nope.example", scopes: ["docs:read"] }] }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await createCredential({ grants: [{ resource: DOCS, scopes: ["docs:delete"] }] }),
      400,
      "invalid_request",
    );
    await expectProblem(await createCredential({ label: " padded" }), 400, "invalid_request");
    await expectProblem(await createCredential({ label: "tab\there" }), 400, "invalid_request");
    await expectProblem(await createCredential({ expires_at: "2001-01-01T00:00:00Z" }), 400, "invalid_request");
    await expectProblem(await createCredential({ token_lifetime: 86_401 }), 400, "invalid_request");
    await expectProblem(await createCredential({ is_admin: true }), 400, "invalid_request");
    const raw = await call("/api/v1/credentials", {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    await expectProblem(raw, 400, "invalid_request");
    // A label with markup is stored and returned as plain data; rendering it as text is the console's job.
    const markup = await createCredential({ label: "<img src=x onerror=alert(1)>" });
    expect(markup.status).toBe(201);
    expect(((await markup.json()) as { name: string }).name).toBe("svc:<img src=x onerror=alert(1)>");
  });

  it("lets groups change and grants only shrink; a write scope is never added later", async () => {
    const created = (await (
      await createCredential({ grants: [{ resource: DOCS, scopes: ["docs:read", "docs:write"] }] })
    ).json()) as { id: string };
    const shrink = await t.admin("PATCH", `/credentials/${created.id}`, {
      groups: ["team-a"],
      grants: [{ resource: DOCS, scopes: ["docs:read"] }],
    });
    expect(shrink.status).toBe(200);
    expect(await shrink.json()).toMatchObject({ groups: ["team-a"], scopes: ["docs:read"] });
    const regrow = await expectProblem(
      await t.admin("PATCH", `/credentials/${created.id}`, {
        grants: [{ resource: DOCS, scopes: ["docs:read", "docs:write"] }],
      }),
      400,
      "invalid_request",
    );
    expect(regrow.detail).toMatch(/only shrink/);
    await expectProblem(await t.admin("PATCH", `/credentials/${created.id}`, {}), 400, "invalid_request");
    await expectProblem(
      await t.admin("PATCH", "/credentials/lkc_AAAAAAAAAAAAAAAAAAAAAA", { groups: [] }),
      404,
      "not_found",
    );
    const grouped = (await (await t.admin("GET", "/credentials?group=team-a")).json()) as {
      credentials: { id: string }[];
    };
    expect(grouped.credentials.map((c) => c.id)).toEqual([created.id]);
  });

  it("revokes only when the typed label matches, once", async () => {
    const created = (await (await createCredential({ label: "to-revoke" })).json()) as { id: string };
    await expectProblem(
      await t.admin("POST", `/credentials/${created.id}/revoke`, { confirm_label: "To-Revoke" }),
      400,
      "invalid_request",
    );
    const revoked = await t.admin("POST", `/credentials/${created.id}/revoke`, { confirm_label: "to-revoke" });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({
      status: "revoked",
      revoked_by: expect.stringMatching(/^svc:/),
      secrets: [expect.objectContaining({ status: "retired" })],
    });
    await expectProblem(
      await t.admin("POST", `/credentials/${created.id}/revoke`, { confirm_label: "to-revoke" }),
      409,
      "conflict",
    );
    await expectProblem(await t.admin("POST", `/credentials/${created.id}/secrets`, {}), 409, "conflict");
    // The label is free again for the replacement.
    expect((await createCredential({ label: "to-revoke" })).status).toBe(201);
    const revokedList = (await (await t.admin("GET", "/credentials?status=revoked")).json()) as {
      credentials: { id: string }[];
    };
    expect(revokedList.credentials.map((c) => c.id)).toContain(created.id);
  });

  it("lets one of two racing revokes and retirements win: one 200, one 409, one audit event each", async () => {
    const created = (await (await createCredential({ label: "raced" })).json()) as { id: string };
    const rotated = (await (await t.admin("POST", `/credentials/${created.id}/secrets`, {})).json()) as {
      secret: { id: string };
    };
    const code = (
      (await (await t.admin("POST", `/credentials/${created.id}/setup-codes`, {})).json()) as {
        setup_code: { code: string };
      }
    ).setup_code.code;
    const key = await newClientKey();
    expect((await redeem({ code, mode: "key", public_jwk: key.publicJwk })).status).toBe(200);
    const eventsOf = async (action: string) =>
      ((await (await t.admin("GET", `/audit?target=${created.id}&action=${action}`)).json()) as { events: unknown[] })
        .events;
    const race = async (method: string, path: string, body?: unknown) => {
      const results = await Promise.all([1, 2, 3, 4].map(() => t.admin(method, path, body)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) await expectProblem(r, 409, "conflict");
    };

    await race("DELETE", `/credentials/${created.id}/secrets/${rotated.secret.id}`);
    expect(await eventsOf("credential.secret.retire")).toHaveLength(1);
    await race("DELETE", `/credentials/${created.id}/keys/${key.thumbprint}`);
    expect(await eventsOf("credential.key.retire")).toHaveLength(1);
    await race("POST", `/credentials/${created.id}/revoke`, { confirm_label: "raced" });
    expect(await eventsOf("credential.revoke")).toHaveLength(1);
    const after = (await (await t.admin("GET", `/credentials/${created.id}`)).json()) as {
      status: string;
      secrets: { status: string }[];
      keys: { status: string }[];
    };
    expect(after).toMatchObject({
      status: "revoked",
      secrets: [{ status: "retired" }, { status: "retired" }],
      keys: [{ status: "retired" }],
    });
  });

  it("writes one event and answers 409 to the loser even when both read the credential before either wrote", async () => {
    const created = (await (await createCredential({ label: "stale-read" })).json()) as { id: string };
    const rotated = (await (await t.admin("POST", `/credentials/${created.id}/secrets`, {})).json()) as {
      secret: { id: string };
    };
    const who = { tenantId: t.tenantId, actor: "test:race", ip: null, userAgent: null, authority: new Set<string>() };
    const stale = await requireCredential(testContext(), t.tenantId, created.id);
    const settle = async (runs: Promise<void>[]) => {
      const outcomes = await Promise.allSettled(runs);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      const lost = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ status: 409, code: "conflict" });
    };
    const eventsOf = async (action: string) =>
      ((await (await t.admin("GET", `/audit?target=${created.id}&action=${action}`)).json()) as { events: unknown[] })
        .events;
    await settle([1, 2].map(() => retireCredentialSecret(testContext(), who, stale, rotated.secret.id, Date.now())));
    expect(await eventsOf("credential.secret.retire")).toHaveLength(1);
    await settle([1, 2].map(() => revokeCredential(testContext(), who, stale, Date.now())));
    expect(await eventsOf("credential.revoke")).toHaveLength(1);
    expect(await requireCredential(testContext(), t.tenantId, created.id)).toMatchObject({
      status: "revoked",
      revokedBy: "test:race",
    });
  });
});

describe("audit log", () => {
  it("records every change with actor, target and origin, and filters", async () => {
    const created = (await (await createCredential({ label: "audited" })).json()) as { id: string };
    await t.admin("POST", `/credentials/${created.id}/secrets`, { grace_period_seconds: 60 });
    await t.admin("PATCH", `/credentials/${created.id}`, { groups: ["x"] });
    await t.admin("POST", `/credentials/${created.id}/revoke`, { confirm_label: "audited" });
    const res = await t.admin("GET", `/audit?target=${created.id}`);
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as {
      events: { action: string; actor: string; ip: string; target_id: string; detail: unknown }[];
    };
    expect(events.map((e) => e.action)).toEqual([
      "credential.revoke",
      "credential.update",
      "credential.secret.rotate",
      "credential.create",
    ]);
    for (const e of events)
      expect(e).toMatchObject({ actor: expect.stringMatching(/^svc:admin-/), ip: "192.0.2.1", target_id: created.id });
    const revokes = (await (await t.admin("GET", "/audit?action=credential.revoke&limit=1")).json()) as {
      events: unknown[];
      next_before: number | null;
    };
    expect(revokes.events).toHaveLength(1);
    expect(revokes.next_before).toEqual(expect.any(Number));
    await expectProblem(await t.admin("GET", "/audit?limit=0"), 400, "invalid_request");
    await expectProblem(await t.admin("GET", "/audit?since=yesterday"), 400, "invalid_request");
  });
});

describe("tenant isolation", () => {
  it("never shows or changes another tenant's credentials, and never grants its resources", async () => {
    const other = await setupTenant("admin-tests-other");
    const mine = (await (await createCredential({ label: "isolated" })).json()) as { id: string };
    await expectProblem(await other.admin("GET", `/credentials/${mine.id}`), 404, "not_found");
    await expectProblem(
      await other.admin("POST", `/credentials/${mine.id}/revoke`, { confirm_label: "isolated" }),
      404,
      "not_found",
    );
    const theirs = (await (await other.admin("GET", "/credentials")).json()) as { credentials: { id: string }[] };
    expect(theirs.credentials.map((c) => c.id)).not.toContain(mine.id);
    await expectProblem(
      await other.admin("POST", "/credentials", {
        label: "steal",
        grants: [{ resource: DOCS, scopes: ["docs:read"] }],
      }),
      400,
      "invalid_request",
    );
    const audit = (await (await other.admin("GET", "/audit")).json()) as { events: { target_id: string }[] };
    expect(audit.events.map((e) => e.target_id)).not.toContain(mine.id);
  });
});

describe("bootstrap", () => {
  const bootstrap = (token: string | null, body: unknown = {}) =>
    call("/api/v1/bootstrap", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      ip: freshIp(),
    });

  it("creates the management credential once, re-creates on request, and refuses wrong tokens", async () => {
    await expectProblem(await bootstrap(null), 401, "unauthorized");
    await expectProblem(await bootstrap("wrong-token-wrong-token-wrong-token"), 401, "unauthorized");
    const first = await bootstrap(env.BOOTSTRAP_TOKEN!);
    expect(first.status).toBe(201);
    const cred = (await first.json()) as { issuer: string; client_id: string; client_secret: string };
    expect(cred.issuer).toBe("https://latchkey.test");
    await expectProblem(await bootstrap(env.BOOTSTRAP_TOKEN!), 409, "conflict");
    const again = (await (await bootstrap(env.BOOTSTRAP_TOKEN!, { recreate: true })).json()) as {
      client_id: string;
      client_secret: string;
    };
    expect(again.client_id).not.toBe(cred.client_id);
    const oldMint = await tokenRequest(
      { grant_type: "client_credentials", resource: "urn:latchkey:management" },
      { basic: [cred.client_id, cred.client_secret], ip: freshIp() },
    );
    expect(oldMint.status).toBe(401);
    const newMint = await tokenRequest(
      { grant_type: "client_credentials", resource: "urn:latchkey:management" },
      { basic: [again.client_id, again.client_secret], ip: freshIp() },
    );
    expect(newMint.status).toBe(200);
  });

  it("checks the token before the body: 401 for a wrong token, 404 for every request when disabled", async () => {
    await expectProblem(
      await bootstrap("wrong-token-wrong-token-wrong-token", { recreate: "not a boolean" }),
      401,
      "unauthorized",
    );
    await expectProblem(await bootstrap(null, "not json"), 401, "unauthorized");
    const disabled: Env = { ...env, BOOTSTRAP_TOKEN: "" };
    for (const path of ["/api/v1/bootstrap", "/api/v1/bootstrap/owner-link"]) {
      for (const body of ["{}", "not json", JSON.stringify({ recreate: "not a boolean" })]) {
        const req = new Request(`${ISSUER}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${env.BOOTSTRAP_TOKEN}`,
            "cf-connecting-ip": freshIp(),
          },
          body,
        });
        await expectProblem(await app.fetch(req, disabled, createExecutionContext()), 404, "not_found");
      }
    }
  });
});

describe("documents and fallbacks", () => {
  it("serves OpenAPI 3.1, RFC 8414 metadata and problem+json 404s", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/credentials", "/credentials/{id}/revoke", "/audit", "/resources"]),
    );
    const meta = await call("/.well-known/oauth-authorization-server");
    expect(await meta.json()).toMatchObject({
      issuer: "https://latchkey.test",
      token_endpoint: "https://latchkey.test/oauth/token",
      jwks_uri: "https://latchkey.test/.well-known/jwks.json",
      grant_types_supported: [
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:device_code",
        "refresh_token",
      ],
      token_endpoint_auth_methods_supported: expect.arrayContaining(["client_secret_basic", "client_secret_post"]),
    });
    await expectProblem(await call("/oauth/nothing-here"), 404, "not_found");
    // Unknown admin paths are not revealed to unauthenticated callers.
    await expectProblem(await call("/api/v1/nothing-here"), 401, "unauthorized");
  });
});
