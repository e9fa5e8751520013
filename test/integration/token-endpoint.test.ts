/**
 * POST /oauth/token against real D1, KV and signing keys in workerd: every docs/standards.md rule with exact
 * status, body and headers, the Basic encoding matrix, scope and resource rules, rotation, revocation,
 * expiry with an injected clock, failure limits per source and per (client, source) that never refuse a
 * verifying request, and tokens verified with jose against the served JWKS.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newClientSecret } from "../../src/crypto/secrets";
import { setUsageFlushWindow } from "../../src/services/usage-recorder";
import { call, env, encodeForm, freshIp, ISSUER, setupTenant, tokenRequest, type TestTenant } from "../support/harness";
import { expectOAuthError } from "../support/wire";

const ORDERS = "https://api.example.com/orders";
const BILLING = "https://api.example.com/billing";
const INVALID_CLIENT = { error: "invalid_client", error_description: "Client authentication failed." };

let t: TestTenant;

async function newCredential(body: Record<string, unknown> = {}) {
  const res = await t.admin("POST", "/credentials", {
    label: `job-${crypto.randomUUID().slice(0, 8)}`,
    grants: [
      { resource: ORDERS, scopes: ["orders:read", "orders:write"] },
      { resource: BILLING, scopes: ["billing:read"] },
    ],
    groups: ["payments"],
    ...body,
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as {
    client_id: string;
    client_secret: string;
    label: string;
    secrets: { id: string }[];
  };
  return { id: json.client_id, secret: json.client_secret, label: json.label, secretId: json.secrets[0]!.id };
}

async function jwks(): Promise<JSONWebKeySet> {
  const res = await call("/.well-known/jwks.json");
  return (await res.json()) as JSONWebKeySet;
}

beforeAll(async () => {
  t = await setupTenant("default");
  for (const [uri, scopes] of [
    [ORDERS, [{ name: "orders:read" }, { name: "orders:write", write: true }]],
    [BILLING, [{ name: "billing:read" }]],
  ] as const) {
    const res = await t.admin("POST", "/resources", { uri, name: uri, scopes });
    expect(res.status).toBe(201);
  }
});

afterEach(() => {
  vi.useRealTimers();
});

describe("successful client_credentials grant", () => {
  it("mints an RFC 9068 token with client_secret_basic, verifiable against the served JWKS", async () => {
    const c = await newCredential();
    const res = await tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, c.secret], ip: freshIp() });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "orders:read orders:write" });

    const token = body.access_token as string;
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: "ES256", kid: expect.any(String), typ: "at+jwt" });
    const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: ISSUER,
      audience: ORDERS,
      typ: "at+jwt",
      algorithms: ["ES256"],
    });
    expect(payload).toEqual({
      iss: ISSUER,
      sub: c.id,
      aud: ORDERS,
      client_id: c.id,
      scope: "orders:read orders:write",
      iat: expect.any(Number),
      exp: (payload.iat as number) + 3600,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      svc: `svc:${c.label}`,
      tenant: "default",
      groups: ["payments"],
    });
    expect(c.id).toMatch(/^lkc_[A-Za-z0-9_-]{22}$/);
    expect(c.secret).toMatch(/^lks_[A-Za-z0-9_-]{49}$/);
  });

  it("accepts client_secret_post, and gives every token a fresh jti", async () => {
    const c = await newCredential();
    const mint = async () => {
      const res = await tokenRequest(
        { grant_type: "client_credentials", client_id: c.id, client_secret: c.secret },
        { ip: freshIp() },
      );
      expect(res.status).toBe(200);
      return (
        await jwtVerify(((await res.json()) as { access_token: string }).access_token, createLocalJWKSet(await jwks()))
      ).payload;
    };
    const [a, b] = [await mint(), await mint()];
    expect(a.jti).not.toBe(b.jti);
  });

  it("honours a per-credential token lifetime", async () => {
    const c = await newCredential({ token_lifetime: 600 });
    const res = await tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, c.secret], ip: freshIp() });
    const body = (await res.json()) as { expires_in: number; access_token: string };
    expect(body.expires_in).toBe(600);
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(await jwks()));
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it("decodes Basic credentials as RFC 6749 section 2.3.1 says, and works for clients that do not encode", async () => {
    const c = await newCredential();
    const percentAll = (s: string) =>
      [...s].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
    const variants = [
      `Basic ${btoa(`${c.id}:${c.secret}`)}`,
      `Basic ${btoa(`${encodeForm(c.id)}:${encodeForm(c.secret)}`)}`,
      `Basic ${btoa(`${percentAll(c.id)}:${percentAll(c.secret)}`)}`,
      `basic ${btoa(`${c.id}:${c.secret}`)}`,
    ];
    for (const authorization of variants) {
      const res = await tokenRequest(
        { grant_type: "client_credentials" },
        { headers: { authorization }, ip: freshIp() },
      );
      expect(res.status, authorization.slice(0, 12)).toBe(200);
    }
    // A client_id in the body may accompany Basic when it is the same client.
    const same = await tokenRequest(
      { grant_type: "client_credentials", client_id: c.id },
      { basic: [c.id, c.secret], ip: freshIp() },
    );
    expect(same.status).toBe(200);
  });
});

describe("client authentication failures are indistinguishable", () => {
  it("answers the same invalid_client for unknown, wrong, malformed, retired, revoked and expired", async () => {
    const c = await newCredential();
    const revoked = await newCredential();
    expect((await t.admin("POST", `/credentials/${revoked.id}/revoke`, { confirm_label: revoked.label })).status).toBe(
      200,
    );
    const retired = await newCredential();
    expect((await t.admin("DELETE", `/credentials/${retired.id}/secrets/${retired.secretId}`)).status).toBe(200);
    const flipped = c.secret.slice(0, 10) + (c.secret[10] === "A" ? "B" : "A") + c.secret.slice(11);
    const otherWellFormed = (await newCredential()).secret;

    const cases: [string, string][] = [
      ["lkc_AAAAAAAAAAAAAAAAAAAAAA", c.secret],
      [c.id, otherWellFormed],
      [c.id, flipped],
      [c.id, "not-a-secret"],
      [c.id.slice(0, -1), c.secret],
      [revoked.id, revoked.secret],
      [retired.id, retired.secret],
    ];
    const bodies = [];
    for (const [id, secret] of cases) {
      bodies.push(
        await expectOAuthError(
          await tokenRequest({ grant_type: "client_credentials" }, { basic: [id, secret], ip: freshIp() }),
          401,
          "invalid_client",
          { basicChallenge: true },
        ),
      );
      bodies.push(
        await expectOAuthError(
          await tokenRequest(
            { grant_type: "client_credentials", client_id: id, client_secret: secret },
            { ip: freshIp() },
          ),
          401,
          "invalid_client",
        ),
      );
    }
    for (const body of bodies) expect(body).toEqual(INVALID_CLIENT);
  });

  it("refuses no credentials, malformed Basic, and a Basic/body client_id mismatch with invalid_client", async () => {
    const c = await newCredential();
    await expectOAuthError(
      await tokenRequest({ grant_type: "client_credentials" }, { ip: freshIp() }),
      401,
      "invalid_client",
    );
    for (const authorization of [
      "Basic",
      "Basic !!!",
      `Basic ${btoa("no-colon")}`,
      `Basic ${btoa(":")}`,
      `Basic ${btoa("%ZZ:x")}`,
    ]) {
      await expectOAuthError(
        await tokenRequest({ grant_type: "client_credentials" }, { headers: { authorization }, ip: freshIp() }),
        401,
        "invalid_client",
        { basicChallenge: true },
      );
    }
    await expectOAuthError(
      await tokenRequest(
        { grant_type: "client_credentials", client_id: "lkc_BBBBBBBBBBBBBBBBBBBBBB" },
        { basic: [c.id, c.secret], ip: freshIp() },
      ),
      401,
      "invalid_client",
      { basicChallenge: true },
    );
  });

  it("stops a credential at once when it is revoked or its secret retired, and lets a rotation overlap", async () => {
    const c = await newCredential();
    const mint = (secret: string) =>
      tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, secret], ip: freshIp() });
    expect((await mint(c.secret)).status).toBe(200);

    const rotated = await t.admin("POST", `/credentials/${c.id}/secrets`, { grace_period_seconds: 3600 });
    expect(rotated.status).toBe(201);
    const { client_secret: second, secret } = (await rotated.json()) as {
      client_secret: string;
      secret: { id: string };
    };
    expect((await mint(c.secret)).status).toBe(200);
    expect((await mint(second)).status).toBe(200);

    const third = await t.admin("POST", `/credentials/${c.id}/secrets`, {});
    expect(third.status).toBe(409);

    expect((await t.admin("DELETE", `/credentials/${c.id}/secrets/${secret.id}`)).status).toBe(200);
    await expectOAuthError(await mint(second), 401, "invalid_client", { basicChallenge: true });
    expect((await mint(c.secret)).status).toBe(200);

    expect((await t.admin("POST", `/credentials/${c.id}/revoke`, { confirm_label: c.label })).status).toBe(200);
    await expectOAuthError(await mint(c.secret), 401, "invalid_client", { basicChallenge: true });
    const entry = await env.REVOCATIONS.get(`revocation:${c.id}`, "json");
    expect(entry).toMatchObject({ revoked: true });
  });

  it("ends the old secret when the grace period is over, and an expired credential mints nothing (injected clock)", async () => {
    const c = await newCredential({ expires_at: new Date(Date.now() + 48 * 3600_000).toISOString() });
    const rotated = (await (
      await t.admin("POST", `/credentials/${c.id}/secrets`, { grace_period_seconds: 600 })
    ).json()) as { client_secret: string };
    const mint = (secret: string) =>
      tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, secret], ip: freshIp() });

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 601_000);
    await expectOAuthError(await mint(c.secret), 401, "invalid_client", { basicChallenge: true });
    expect((await mint(rotated.client_secret)).status).toBe(200);

    vi.setSystemTime(Date.now() + 48 * 3600_000);
    await expectOAuthError(await mint(rotated.client_secret), 401, "invalid_client", { basicChallenge: true });
    vi.useRealTimers();
    const view = (await (await t.admin("GET", `/credentials/${c.id}`)).json()) as { status: string };
    expect(view.status).toBe("active");
  });

  it("honours the KV revocation list even when this isolate still holds the credential", async () => {
    const c = await newCredential();
    const mint = () => tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, c.secret], ip: freshIp() });
    expect((await mint()).status).toBe(200);
    // Another location revoked it: only the KV entry has arrived here. This isolate re-reads KV within
    // 10 s (its memo of KV reads) and must refuse even though its cached credential says active.
    await env.REVOCATIONS.put(
      `revocation:${c.id}`,
      JSON.stringify({ revoked: true, retired: [], updatedAt: Date.now() }),
    );
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 10_001);
    await expectOAuthError(await mint(), 401, "invalid_client", { basicChallenge: true });
  });
});

describe("request validation", () => {
  it("takes POST only", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await call("/oauth/token", { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.json()).toEqual({
        error: "invalid_request",
        error_description: "The token endpoint accepts POST only.",
      });
    }
  });

  it("refuses non-form bodies, oversized bodies, repeated parameters and query-string credentials", async () => {
    const c = await newCredential();
    const basic = `Basic ${btoa(`${c.id}:${c.secret}`)}`;
    const post = (body: string, headers: Record<string, string>, path = "/oauth/token") =>
      call(path, { method: "POST", body, headers: { authorization: basic, ...headers }, ip: freshIp() });
    await expectOAuthError(
      await post(JSON.stringify({ grant_type: "client_credentials" }), { "content-type": "application/json" }),
      400,
      "invalid_request",
    );
    await expectOAuthError(await post("grant_type=client_credentials", {}), 400, "invalid_request");
    await expectOAuthError(
      await post(`grant_type=client_credentials&pad=${"x".repeat(9000)}`, {
        "content-type": "application/x-www-form-urlencoded",
      }),
      400,
      "invalid_request",
    );
    await expectOAuthError(
      await post("grant_type=client_credentials&scope=a&scope=b", {
        "content-type": "application/x-www-form-urlencoded",
      }),
      400,
      "invalid_request",
    );
    await expectOAuthError(
      await post(
        "grant_type=client_credentials",
        { "content-type": "application/x-www-form-urlencoded" },
        `/oauth/token?client_secret=${c.secret}`,
      ),
      400,
      "invalid_request",
    );
    // Basic and body credentials together.
    await expectOAuthError(
      await post(`grant_type=client_credentials&client_id=${c.id}&client_secret=${c.secret}`, {
        "content-type": "application/x-www-form-urlencoded",
      }),
      400,
      "invalid_request",
    );
    // A charset parameter on the content type is fine; unknown parameters are ignored; empty ones are omitted.
    const ok = await post("grant_type=client_credentials&unknown=1&scope=", {
      "content-type": "application/x-www-form-urlencoded; charset=UTF-8",
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { scope: string }).scope).toBe("orders:read orders:write");
  });

  it("checks grant_type", async () => {
    const c = await newCredential();
    await expectOAuthError(await tokenRequest({}, { basic: [c.id, c.secret], ip: freshIp() }), 400, "invalid_request");
    await expectOAuthError(
      await tokenRequest({ grant_type: "password" }, { basic: [c.id, c.secret], ip: freshIp() }),
      400,
      "unsupported_grant_type",
    );
    await expectOAuthError(
      await tokenRequest({ grant_type: "authorization_code" }, { basic: [c.id, c.secret], ip: freshIp() }),
      400,
      "unsupported_grant_type",
    );
  });

  it("narrows scopes, rejects what is not granted or malformed, and always echoes scope", async () => {
    const c = await newCredential();
    const mint = (form: Record<string, string>) =>
      tokenRequest({ grant_type: "client_credentials", ...form }, { basic: [c.id, c.secret], ip: freshIp() });
    const narrowed = await mint({ scope: "orders:read" });
    expect(narrowed.status).toBe(200);
    expect(((await narrowed.json()) as { scope: string }).scope).toBe("orders:read");
    for (const scope of [
      "orders:read admin",
      "billing:read",
      "orders:read  orders:write",
      'orders:"read',
      " orders:read",
    ]) {
      await expectOAuthError(await mint({ scope }), 400, "invalid_scope");
    }
  });

  it("selects the audience with resource or audience, and answers invalid_target otherwise", async () => {
    const c = await newCredential();
    const mint = (form: Record<string, string>) =>
      tokenRequest({ grant_type: "client_credentials", ...form }, { basic: [c.id, c.secret], ip: freshIp() });
    for (const form of [
      { resource: BILLING },
      { audience: BILLING },
      { resource: BILLING, audience: BILLING },
    ] as Record<string, string>[]) {
      const res = await mint(form);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string; scope: string };
      expect(body.scope).toBe("billing:read");
      expect((await jwtVerify(body.access_token, createLocalJWKSet(await jwks()))).payload.aud).toBe(BILLING);
    }
    for (const form of [
      { resource: "https://api.example.com/other" },
      { resource: "/relative/path" },
      { resource: `${ORDERS}#fragment` },
      { resource: ORDERS, audience: BILLING },
    ] as Record<string, string>[]) {
      await expectOAuthError(await mint(form), 400, "invalid_target");
    }
    await expectOAuthError(
      await mint({ resource: BILLING, scope: "orders:read" } as Record<string, string>),
      400,
      "invalid_scope",
    );
  });

  it("never echoes input in error_description", async () => {
    const marker = "<script>MARKER</script>";
    const c = await newCredential();
    const res = await tokenRequest(
      { grant_type: marker, scope: marker, resource: marker },
      { basic: [c.id, c.secret], ip: freshIp() },
    );
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toContain("MARKER");
  });
});

describe("abuse limits (RFC 6749 section 2.3.1)", () => {
  let net = 0;
  /** A fresh IPv6 /64 and two addresses in it: one source to the limits. */
  const freshSlash64 = () => {
    net += 1;
    const prefix = `2001:db8:${net.toString(16)}:7e57`;
    return { ip: `${prefix}::1`, sibling: `${prefix}:ffff:0:0:9`, elsewhere: `2001:db8:${net.toString(16)}:7e58::1` };
  };
  const mint = (id: string, secret: string, ip: string) =>
    tokenRequest({ grant_type: "client_credentials" }, { basic: [id, secret], ip });
  const bogus = (ip: string) =>
    call("/oauth/token", {
      method: "POST",
      ip,
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic eDp5" },
      body: "grant_type=client_credentials",
    });

  /** Sends failures until one is answered 429; every earlier one must be the plain failure. */
  async function floodUntilLimited(send: () => Promise<Response>, failure: number, max: number): Promise<Response> {
    for (let i = 0; i < max; i++) {
      const res = await send();
      if (res.status === 429) return res;
      expect(res.status).toBe(failure);
      await res.body?.cancel();
    }
    throw new Error(`no 429 after ${max} failures`);
  }

  it("limits failures with no usable client id per source (an IPv6 /64), and never refuses a request whose credentials verify", async () => {
    const a = await newCredential();
    const b = await newCredential();
    const { ip, sibling, elsewhere } = freshSlash64();
    await expectOAuthError(await floodUntilLimited(() => bogus(ip), 401, 350), 429, "slow_down");
    await expectOAuthError(await bogus(sibling), 429, "slow_down");
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials" }, { ip: sibling }), 429, "slow_down");
    await expectOAuthError(await mint(a.id, "lks_wrong", sibling), 429, "slow_down");
    await expectOAuthError(await bogus(elsewhere), 401, "invalid_client", { basicChallenge: true });
    expect((await mint(a.id, a.secret, ip)).status).toBe(200);
    expect((await mint(b.id, b.secret, sibling)).status).toBe(200);
  });

  it("limits failures per (client_id, source): the right secret of that client and of another client from the same address still mint", async () => {
    const victim = await newCredential();
    const neighbour = await newCredential();
    const { ip, sibling, elsewhere } = freshSlash64();
    const wrongButWellFormed = await newClientSecret();
    let n = 0;
    const limited = await floodUntilLimited(
      () => mint(victim.id, n++ % 2 ? wrongButWellFormed : "lks_wrong", ip),
      401,
      80,
    );
    await expectOAuthError(limited, 429, "slow_down");
    const minted = await mint(victim.id, victim.secret, ip);
    expect(minted.status).toBe(200);
    expect(((await minted.json()) as { token_type: string }).token_type).toBe("Bearer");
    const again = await mint(victim.id, wrongButWellFormed, sibling);
    await expectOAuthError(again, 429, "slow_down");
    expect(again.headers.get("www-authenticate")).toBeNull();
    await expectOAuthError(await mint(victim.id, wrongButWellFormed, elsewhere), 401, "invalid_client", {
      basicChallenge: true,
    });
    await expectOAuthError(await mint(neighbour.id, "lks_wrong", ip), 401, "invalid_client", { basicChallenge: true });
    expect((await mint(neighbour.id, neighbour.secret, ip)).status).toBe(200);
    expect((await mint(victim.id, victim.secret, sibling)).status).toBe(200);
  });

  it("answers an unknown client id over its limit exactly as a known one, so the limits reveal no ids", async () => {
    const known = await newCredential();
    const { ip } = freshSlash64();
    const unknownId = "lkc_AAAAAAAAAAAAAAAAAAAAAA";
    const knownLimited = await floodUntilLimited(() => mint(known.id, "lks_wrong", ip), 401, 80);
    const unknownLimited = await floodUntilLimited(() => mint(unknownId, "lks_wrong", ip), 401, 80);
    expect(await expectOAuthError(unknownLimited, 429, "slow_down")).toEqual(
      await expectOAuthError(knownLimited, 429, "slow_down"),
    );
    expect(unknownLimited.headers.get("retry-after")).toBe(knownLimited.headers.get("retry-after"));
  });
});

describe("usage accounting", () => {
  it("records last use and mint counts in the background, per credential and per secret", async () => {
    const c = await newCredential();
    const res = await tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, c.secret], ip: freshIp() });
    expect(res.status).toBe(200);
    let view:
      | { last_used_at: string | null; mint_count: number; secrets: { last_used_at: string | null }[] }
      | undefined;
    for (let i = 0; i < 50; i++) {
      view = (await (await t.admin("GET", `/credentials/${c.id}`)).json()) as typeof view;
      if (view!.mint_count > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(view!.mint_count).toBe(1);
    expect(view!.last_used_at).not.toBeNull();
    expect(view!.secrets[0]!.last_used_at).not.toBeNull();
  });

  it("writes a mint inside the coalescing window when the window ends, with no further mint", async () => {
    setUsageFlushWindow(1_000);
    try {
      const c = await newCredential();
      const rotated = await t.admin("POST", `/credentials/${c.id}/secrets`, { grace_period_seconds: 3600 });
      const { client_secret: second, secret } = (await rotated.json()) as {
        client_secret: string;
        secret: { id: string };
      };
      const mint = (s: string) =>
        tokenRequest({ grant_type: "client_credentials" }, { basic: [c.id, s], ip: freshIp() });
      expect((await mint(c.secret)).status).toBe(200);
      expect((await mint(second)).status).toBe(200);

      type View = {
        last_used_at: string | null;
        mint_count: number;
        secrets: { id: string; last_used_at: string | null }[];
      };
      const view = await vi.waitFor(
        async () => {
          const v = (await (await t.admin("GET", `/credentials/${c.id}`)).json()) as View;
          expect(v.mint_count).toBe(2);
          return v;
        },
        { timeout: 4_000, interval: 50 },
      );
      const lastUsed = Object.fromEntries(view.secrets.map((s) => [s.id, s.last_used_at]));
      expect(lastUsed[c.secretId]).not.toBeNull();
      expect(lastUsed[secret.id]).not.toBeNull();
      expect(Date.parse(lastUsed[secret.id]!)).toBeGreaterThanOrEqual(Date.parse(lastUsed[c.secretId]!));
      expect(view.last_used_at).toBe(lastUsed[secret.id]);
    } finally {
      setUsageFlushWindow();
    }
  });
});
