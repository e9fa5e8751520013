/** The token source against a small node:http token endpoint: discovery, auth methods, caching, single-flight, errors. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, calculateJwkThumbprint } from "jose";
import { LatchkeyError, createTokenSource, refreshDeadline } from "../../src/client/index.js";
import { closedPortUrl } from "./cli-helpers.js";
import { startFakeLatchkey, type FakeLatchkey } from "./fake-latchkey.js";

let fake: FakeLatchkey;
beforeAll(async () => {
  fake = await startFakeLatchkey();
});
afterAll(() => fake.close());

function secretClient(): { id: string; secret: string } {
  const id = `lkc_${crypto.randomUUID().replace(/-/g, "").slice(0, 22)}`;
  const secret = `lks_${"s".repeat(49)}`;
  fake.clients.set(id, { secret, label: "bot" });
  return { id, secret };
}

describe("createTokenSource", () => {
  it("discovers the endpoint, authenticates with client_secret_basic and caches", async () => {
    const { id, secret } = secretClient();
    const before = fake.requests.length;
    const source = createTokenSource({
      issuer: fake.url,
      clientId: id,
      clientSecret: secret,
      scope: ["read", "write"],
    });
    const t1 = await source.getToken();
    const t2 = await source.getToken();
    expect(t2).toBe(t1);
    expect(t1).toMatchObject({ tokenType: "Bearer", scope: "read write" });
    expect(t1.expiresAt).toBeGreaterThan(Date.now() + 3500_000);
    const seen = fake.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(seen).toEqual(["GET /.well-known/oauth-authorization-server", "POST /oauth/token"]);
    const tokenReq = fake.requests.at(-1)!;
    expect(tokenReq.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(tokenReq.body))).toEqual({
      grant_type: "client_credentials",
      scope: "read write",
    });
  });

  it("authenticates with private_key_jwt (client_id, assertion type and assertion in the body)", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    fake.clients.set("lkc_keyclient", { publicJwk, label: "keybot" });
    const source = createTokenSource({
      issuer: fake.url,
      clientId: "lkc_keyclient",
      privateKey: { ...(await exportJWK(privateKey)), kid },
      resource: "https://api.one",
    });
    const token = await source.getToken();
    expect(token.accessToken.split(".")).toHaveLength(3);
    const form = new URLSearchParams(fake.requests.at(-1)!.body);
    expect(form.get("client_id")).toBe("lkc_keyclient");
    expect(form.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(form.get("resource")).toBe("https://api.one");
    expect(fake.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it("shares one refresh between concurrent callers", async () => {
    const { id, secret } = secretClient();
    const source = createTokenSource({
      issuer: fake.url,
      clientId: id,
      clientSecret: secret,
      tokenEndpoint: `${fake.url}/oauth/token`,
    });
    const before = fake.tokenRequests();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.getToken()));
    expect(fake.tokenRequests() - before).toBe(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  });

  it("refreshes after ~80% of the lifetime (injected clock), not before", async () => {
    const { id, secret } = secretClient();
    let now = Date.now();
    const source = createTokenSource({
      issuer: fake.url,
      clientId: id,
      clientSecret: secret,
      jitter: 0,
      now: () => now,
    });
    const first = await source.getToken();
    const before = fake.tokenRequests();
    now += 0.79 * 3600_000;
    expect(await source.getToken()).toBe(first);
    now += 0.02 * 3600_000;
    expect(await source.getToken()).not.toBe(first);
    expect(fake.tokenRequests() - before).toBe(1);
  });

  it("computes the refresh point with jitter inside [ratio - jitter, ratio]", () => {
    expect(refreshDeadline(0, 1000, 0.8, 0.05, 0)).toBe(800);
    expect(refreshDeadline(0, 1000, 0.8, 0.05, 0.999)).toBeCloseTo(750, 0);
  });

  it("throws LatchkeyError invalid_client with status 401 for a wrong secret", async () => {
    const { id } = secretClient();
    const source = createTokenSource({ issuer: fake.url, clientId: id, clientSecret: "lks_wrong" });
    const error = await source.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error).toMatchObject({ code: "invalid_client", status: 401, description: "Client authentication failed." });
    expect(String((error as Error).message)).not.toContain("lks_wrong");
  });

  it("reports network_error and invalid_response", async () => {
    const closed = createTokenSource({ issuer: await closedPortUrl(), clientId: "lkc_x", clientSecret: "x" });
    await expect(closed.getToken()).rejects.toMatchObject({ code: "network_error", status: 0 });
    fake.override = (r) => (r.path === "/oauth/token" ? { status: 502, raw: "<html>bad gateway</html>" } : undefined);
    const { id, secret } = secretClient();
    const source = createTokenSource({ issuer: fake.url, clientId: id, clientSecret: secret });
    await expect(source.getToken()).rejects.toMatchObject({ code: "invalid_response", status: 502 });
    fake.override = undefined;
  });

  it("keeps serving a still-valid token when a refresh fails transiently", async () => {
    const { id, secret } = secretClient();
    let now = Date.now();
    const source = createTokenSource({
      issuer: fake.url,
      clientId: id,
      clientSecret: secret,
      jitter: 0,
      now: () => now,
    });
    const first = await source.getToken();
    now += 0.9 * 3600_000;
    fake.override = (r) =>
      r.path === "/oauth/token"
        ? { status: 429, body: { error: "rate_limited" }, headers: { "retry-after": "7" } }
        : undefined;
    expect(await source.getToken()).toBe(first);
    now += 0.2 * 3600_000;
    await expect(source.getToken()).rejects.toMatchObject({ code: "rate_limited", status: 429, retryAfter: 7 });
    fake.override = undefined;
  });

  it("after invalid_client sends nothing for 30 s (a dead credential cannot hammer the edge), even across invalidate()", async () => {
    const { id } = secretClient();
    let now = Date.now();
    const source = createTokenSource({
      issuer: fake.url,
      clientId: id,
      clientSecret: "lks_dead",
      tokenEndpoint: `${fake.url}/oauth/token`,
      now: () => now,
    });
    const before = fake.tokenRequests();
    const first = await source.getToken().catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "invalid_client", status: 401 });
    for (let i = 0; i < 5; i++) {
      source.invalidate();
      expect(await source.getToken().catch((e: unknown) => e)).toBe(first);
    }
    now += 29_000;
    expect(await source.getToken().catch((e: unknown) => e)).toBe(first);
    expect(fake.tokenRequests() - before).toBe(1);
    now += 2_000;
    await expect(source.getToken()).rejects.toMatchObject({ code: "invalid_client" });
    expect(fake.tokenRequests() - before).toBe(2);
  });

  it("honours Retry-After on 429: no request before it has passed, then a normal mint", async () => {
    const { id, secret } = secretClient();
    let now = Date.now();
    const source = createTokenSource({
      issuer: fake.url,
      clientId: id,
      clientSecret: secret,
      tokenEndpoint: `${fake.url}/oauth/token`,
      now: () => now,
    });
    fake.override = (r) =>
      r.path === "/oauth/token"
        ? {
            status: 429,
            body: { error: "slow_down", error_description: "Too many requests. Retry later." },
            headers: { "retry-after": "7" },
          }
        : undefined;
    const before = fake.tokenRequests();
    await expect(source.getToken()).rejects.toMatchObject({ code: "slow_down", status: 429, retryAfter: 7 });
    fake.override = undefined;
    now += 6_000;
    await expect(source.getToken()).rejects.toMatchObject({ code: "slow_down", retryAfter: 7 });
    expect(fake.tokenRequests() - before).toBe(1);
    now += 1_500;
    expect((await source.getToken()).tokenType).toBe("Bearer");
    expect(fake.tokenRequests() - before).toBe(2);
  });

  it("checks the metadata issuer (RFC 8414 section 3.3)", async () => {
    const source = createTokenSource({
      issuer: `${fake.url.replace("127.0.0.1", "localhost")}`,
      clientId: "lkc_x",
      clientSecret: "x",
    });
    await expect(source.getToken()).rejects.toMatchObject({ code: "invalid_response" });
  });
});
