/** Verifier and hono middleware against a node:http JWKS: typ, alg, iss, aud, exp skew, kid rotation, scopes, RFC 6750 answers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import {
  TokenVerificationError,
  createVerifier,
  latchkeyAuth,
  type LatchkeyVariables,
} from "../../src/client/index.js";
import { closedPortUrl } from "./cli-helpers.js";
import { startFakeLatchkey, type FakeLatchkey } from "./fake-latchkey.js";

const AUD = "https://api.example.test";
let fake: FakeLatchkey;
let key: { privateKey: CryptoKey; jwk: JWK };
const jwks: JWK[] = [];

async function newKey(): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), alg: "ES256", use: "sig" };
  jwk.kid = await calculateJwkThumbprint(jwk);
  return { privateKey, jwk };
}

function sign(
  claims: Record<string, unknown> = {},
  opts: { typ?: string; k?: typeof key; exp?: number } = {},
): Promise<string> {
  const k = opts.k ?? key;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: "lkc_c", scope: "read write", svc: "svc:bot", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: k.jwk.kid!, typ: opts.typ ?? "at+jwt" })
    .setIssuer((claims.iss as string | undefined) ?? fake.url)
    .setSubject("lkc_c")
    .setAudience((claims.aud as string | undefined) ?? AUD)
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 600)
    .setJti(crypto.randomUUID())
    .sign(k.privateKey);
}

beforeAll(async () => {
  fake = await startFakeLatchkey();
  key = await newKey();
  jwks.push(key.jwk);
  fake.override = (r) => (r.path === "/.well-known/jwks.json" ? { status: 200, body: { keys: jwks } } : undefined);
});
afterAll(() => fake.close());

describe("createVerifier", () => {
  it("returns the claims of a valid token (JWKS from discovery)", async () => {
    const verifier = createVerifier({ issuer: fake.url, audience: AUD });
    const claims = await verifier.verify(await sign(), { requiredScopes: ["read"] });
    expect(claims).toMatchObject({ iss: fake.url, sub: "lkc_c", aud: AUD, client_id: "lkc_c", svc: "svc:bot" });
  });

  it("accepts tokens when the issuer option has a trailing slash (iss compared normalised)", async () => {
    const verifier = createVerifier({ issuer: `${fake.url}/`, audience: AUD });
    const claims = await verifier.verify(await sign());
    expect(claims.iss).toBe(fake.url);
    expect(fake.url.endsWith("/")).toBe(false);
  });

  it.each([
    ["typ JWT instead of at+jwt", () => sign({}, { typ: "JWT" })],
    ["another audience", () => sign({ aud: "https://other" })],
    ["another issuer", () => sign({ iss: "https://evil" })],
    ["expired beyond the skew", () => sign({}, { exp: Math.floor(Date.now() / 1000) - 31 })],
    ["no client_id", () => sign({ client_id: undefined })],
    ["garbage", async () => "not.a.jwt"],
  ])("rejects %s as invalid_token", async (_name, make) => {
    const verifier = createVerifier({ issuer: fake.url, audience: AUD });
    const error = await verifier.verify(await make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error).toMatchObject({ code: "invalid_token", status: 401 });
  });

  it("accepts a token expired within the 30 s skew", async () => {
    const verifier = createVerifier({ issuer: fake.url, audience: AUD });
    await expect(verifier.verify(await sign({}, { exp: Math.floor(Date.now() / 1000) - 10 }))).resolves.toBeTruthy();
  });

  it("rejects an algorithm outside the allow-list", async () => {
    const verifier = createVerifier({ issuer: fake.url, audience: AUD, algorithms: ["EdDSA"] });
    await expect(verifier.verify(await sign())).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("refetches the JWKS on an unknown kid (key rotation), once per cooldown", async () => {
    const verifier = createVerifier({
      issuer: fake.url,
      audience: AUD,
      jwksUri: `${fake.url}/.well-known/jwks.json`,
      cooldownDuration: 0,
    });
    await verifier.verify(await sign());
    const next = await newKey();
    jwks.push(next.jwk);
    await expect(verifier.verify(await sign({}, { k: next }))).resolves.toBeTruthy();
    const stranger = await newKey();
    await expect(verifier.verify(await sign({}, { k: stranger }))).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("answers insufficient_scope (403) with the scopes needed", async () => {
    const verifier = createVerifier({ issuer: fake.url, audience: AUD });
    const error = await verifier.verify(await sign(), { requiredScopes: ["read", "admin"] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "insufficient_scope", status: 403, requiredScopes: ["read", "admin"] });
  });

  it("does not blame the token when the JWKS is unreachable", async () => {
    const verifier = createVerifier({ issuer: await closedPortUrl(), audience: AUD });
    await expect(verifier.verify(await sign())).rejects.toMatchObject({ name: "LatchkeyError" });
  });
});

describe("latchkeyAuth (hono)", () => {
  const app = new Hono<{ Variables: LatchkeyVariables }>();
  app.use("/api/*", (c, next) =>
    latchkeyAuth({ issuer: fake.url, audience: AUD, scopes: ["read"], realm: "api" })(c, next),
  );
  app.get("/api/who", (c) => c.json({ svc: c.get("latchkey").svc }));
  const adminApp = new Hono<{ Variables: LatchkeyVariables }>();
  adminApp.use("*", (c, next) =>
    latchkeyAuth({ verifier: createVerifier({ issuer: fake.url, audience: AUD }), scopes: ["admin"] })(c, next),
  );
  adminApp.get("/", (c) => c.text("ok"));

  it("passes a valid token and exposes the claims", async () => {
    const res = await app.request("/api/who", { headers: { authorization: `Bearer ${await sign()}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ svc: "svc:bot" });
  });

  it("401 without a token: a bare Bearer challenge (RFC 6750 section 3.1)", async () => {
    const res = await app.request("/api/who");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(await res.json()).toEqual({
      error: "invalid_token",
      error_description: "A bearer access token is required",
    });
  });

  it("401 invalid_token for a bad token", async () => {
    const res = await app.request("/api/who", {
      headers: { authorization: `Bearer ${await sign({}, { typ: "JWT" })}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token is invalid"',
    );
    expect(await res.json()).toEqual({ error: "invalid_token", error_description: "The access token is invalid" });
  });

  it("403 insufficient_scope with the scope needed", async () => {
    const res = await adminApp.request("/", { headers: { authorization: `bearer ${await sign()}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer error="insufficient_scope", error_description="The access token lacks a required scope", scope="admin"',
    );
    expect(await res.json()).toEqual({
      error: "insufficient_scope",
      error_description: "The access token lacks a required scope",
    });
  });
});
