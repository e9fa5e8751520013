/**
 * DPoP in the SDK (RFC 9449): the verifier and the hono middleware refuse every section 4.3 failure of a
 * resource server's proof with `WWW-Authenticate: DPoP error="invalid_dpop_proof"` (section 7.1), a replayed
 * proof, a bound token sent as Bearer and an unbound one sent as DPoP; the replay cache is bounded and
 * pluggable; the token source mints bound tokens (nonce retry at the token endpoint) and its fetch sends
 * `Authorization: DPoP` with a fresh proof, retrying once on the resource server's use_dpop_nonce.
 */
import { Hono } from "hono";
import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accessTokenHash,
  createDpopProof,
  createMemoryReplayCache,
  createTokenSource,
  createVerifier,
  generateDpopKey,
  latchkeyAuth,
  type DpopKey,
  type LatchkeyVariables,
  type Verifier,
} from "../../src/client/index.js";
import { startFakeLatchkey, type FakeLatchkey } from "./fake-latchkey.js";

const AUD = "https://api.example.test";
const URL_THINGS = `${AUD}/things`;
let fake: FakeLatchkey;
let signing: { privateKey: CryptoKey; jwk: JWK };
let verifier: Verifier;
let app: Hono<{ Variables: LatchkeyVariables }>;
let key: DpopKey;

async function accessToken(claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: "lkc_c", scope: "read", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: signing.jwk.kid!, typ: "at+jwt" })
    .setIssuer(fake.url)
    .setSubject("lkc_c")
    .setAudience(AUD)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(crypto.randomUUID())
    .sign(signing.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** A proof with overrides: `claims`/`header` members set to undefined are removed. */
async function rawProof(
  k: DpopKey,
  token: string,
  opts: { claims?: Record<string, unknown>; header?: Record<string, unknown>; signWith?: CryptoKey } = {},
) {
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: "GET",
    htu: URL_THINGS,
    iat: Math.floor(Date.now() / 1000),
    ath: await accessTokenHash(token),
    ...opts.claims,
  };
  for (const [n, v] of Object.entries(claims)) if (v === undefined) delete claims[n];
  const header: Record<string, unknown> = { typ: "dpop+jwt", alg: k.alg, jwk: k.publicJwk, ...opts.header };
  for (const [n, v] of Object.entries(header)) if (v === undefined) delete header[n];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(opts.signWith ?? k.privateKey);
}

function get(headers: Record<string, string>, url = URL_THINGS) {
  return app.request(url, { headers });
}

async function expectDpopRefusal(res: Response, error: string, why: string) {
  expect(res.status, why).toBe(401);
  const challenge = res.headers.get("www-authenticate") ?? "";
  expect(challenge, why).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", algs="ES256 EdDSA"$`));
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(((await res.json()) as { error: string }).error, why).toBe(error);
}

beforeAll(async () => {
  fake = await startFakeLatchkey();
  const pair = await generateKeyPair("ES256");
  signing = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), alg: "ES256", use: "sig" } };
  signing.jwk.kid = await calculateJwkThumbprint(signing.jwk);
  fake.override = (r) =>
    r.path === "/.well-known/jwks.json" ? { status: 200, body: { keys: [signing.jwk] } } : undefined;
  verifier = createVerifier({ issuer: fake.url, audience: AUD, jwksUri: `${fake.url}/.well-known/jwks.json` });
  app = new Hono<{ Variables: LatchkeyVariables }>();
  app.use("/things", latchkeyAuth({ verifier, scopes: ["read"] }));
  app.get("/things", (c) => c.json({ sub: c.get("latchkey").sub, cnf: c.get("latchkey").cnf ?? null }));
  key = await generateDpopKey();
});
afterAll(() => fake.close());

describe("resource server: a DPoP-bound token", () => {
  it("is accepted with Authorization: DPoP and a valid proof, including one whose htu has a query", async () => {
    const token = await accessToken({ cnf: { jkt: key.jkt } });
    for (const url of [URL_THINGS, `${URL_THINGS}?page=2`]) {
      const proof = await createDpopProof(key, { method: "GET", url, accessToken: token });
      const res = await get({ authorization: `DPoP ${token}`, dpop: proof }, url);
      expect(res.status, url).toBe(200);
      expect(await res.json()).toEqual({ sub: "lkc_c", cnf: { jkt: key.jkt } });
    }
  });

  it("RFC 9449 section 4.3: every failed check is 401 invalid_dpop_proof with a DPoP challenge", async () => {
    const token = await accessToken({ cnf: { jkt: key.jkt } });
    const other = await generateDpopKey("ES256", true);
    const rsa = await generateKeyPair("RS256", { extractable: true });
    const privateJwk = await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<string | undefined>][] = [
      ["no proof", async () => undefined],
      ["two proofs", async () => `${await rawProof(key, token)}, ${await rawProof(key, token)}`],
      ["not a JWT", async () => "garbage"],
      ["typ JWT", () => rawProof(key, token, { header: { typ: "JWT" } })],
      [
        "alg none",
        async () =>
          `${b64({ typ: "dpop+jwt", alg: "none", jwk: key.publicJwk })}.${b64({ jti: "x", htm: "GET", htu: URL_THINGS, iat: now })}.`,
      ],
      [
        "alg RS256",
        async () =>
          new SignJWT({ jti: "r", htm: "GET", htu: URL_THINGS, iat: now, ath: await accessTokenHash(token) })
            .setProtectedHeader({ typ: "dpop+jwt", alg: "RS256", jwk: await exportJWK(rsa.publicKey) })
            .sign(rsa.privateKey),
      ],
      ["no jwk", () => rawProof(key, token, { header: { jwk: undefined } })],
      ["a private jwk", () => rawProof(key, token, { header: { jwk: privateJwk } })],
      ["signed by another key", () => rawProof(key, token, { signWith: other.privateKey })],
      ["a valid proof by a key cnf.jkt does not name", () => rawProof(other, token)],
      ["jti missing", () => rawProof(key, token, { claims: { jti: undefined } })],
      ["htm POST", () => rawProof(key, token, { claims: { htm: "POST" } })],
      ["htu another path", () => rawProof(key, token, { claims: { htu: `${AUD}/other` } })],
      ["htu another host", () => rawProof(key, token, { claims: { htu: "https://evil.example/things" } })],
      ["htu not a URL", () => rawProof(key, token, { claims: { htu: "things" } })],
      ["iat missing", () => rawProof(key, token, { claims: { iat: undefined } })],
      ["iat 61 s old", () => rawProof(key, token, { claims: { iat: now - 61 } })],
      ["iat 30 s ahead", () => rawProof(key, token, { claims: { iat: now + 30 } })],
      ["ath missing", () => rawProof(key, token, { claims: { ath: undefined } })],
      [
        "ath of another token",
        async () => rawProof(key, token, { claims: { ath: await accessTokenHash(`${token}x`) } }),
      ],
    ];
    for (const [why, make] of cases) {
      const proof = await make();
      const headers: Record<string, string> = { authorization: `DPoP ${token}` };
      if (proof !== undefined) headers.dpop = proof;
      await expectDpopRefusal(await get(headers), "invalid_dpop_proof", why);
    }
  });

  it("refuses a replayed proof", async () => {
    const token = await accessToken({ cnf: { jkt: key.jkt } });
    const proof = await createDpopProof(key, { method: "GET", url: URL_THINGS, accessToken: token });
    expect((await get({ authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
    await expectDpopRefusal(await get({ authorization: `DPoP ${token}`, dpop: proof }), "invalid_dpop_proof", "replay");
  });

  it("refuses the bound token presented as Bearer, with a DPoP challenge", async () => {
    const token = await accessToken({ cnf: { jkt: key.jkt } });
    await expectDpopRefusal(await get({ authorization: `Bearer ${token}` }), "invalid_token", "as Bearer");
  });
});

describe("resource server: an unbound token", () => {
  it("still works as Bearer, and is refused as DPoP", async () => {
    const token = await accessToken();
    expect((await get({ authorization: `Bearer ${token}` })).status).toBe(200);
    const proof = await createDpopProof(key, { method: "GET", url: URL_THINGS, accessToken: token });
    await expectDpopRefusal(await get({ authorization: `DPoP ${token}`, dpop: proof }), "invalid_token", "as DPoP");
  });
});

describe("replay caches", () => {
  it("the in-memory cache is bounded: past its size the oldest proof is forgotten", () => {
    let now = 1_000;
    const cache = createMemoryReplayCache(2, () => now);
    expect(cache.remember("k", "a", 10_000)).toBe(true);
    expect(cache.remember("k", "a", 10_000)).toBe(false);
    expect(cache.remember("k2", "a", 10_000)).toBe(true);
    expect(cache.remember("k", "b", 10_000)).toBe(true);
    expect(cache.remember("k", "a", 10_000)).toBe(true);
    now = 20_000;
    expect(cache.remember("k", "b", 30_000)).toBe(true);
  });

  it("a pluggable cache is asked with the key thumbprint, the jti and iat + the window", async () => {
    const calls: [string, string, number][] = [];
    const shared = createVerifier({
      issuer: fake.url,
      audience: AUD,
      jwksUri: `${fake.url}/.well-known/jwks.json`,
      dpop: {
        replayCache: {
          remember: async (...args) => {
            calls.push(args);
            return calls.length === 1;
          },
        },
      },
    });
    const token = await accessToken({ cnf: { jkt: key.jkt } });
    const proof = await rawProof(key, token, { claims: { jti: "shared-1" } });
    const presentation = { proof, method: "GET", url: URL_THINGS };
    await shared.verify(token, { dpop: presentation });
    await expect(shared.verify(token, { dpop: presentation })).rejects.toMatchObject({ code: "invalid_dpop_proof" });
    const iat = decodeJwt(proof).iat as number;
    expect(calls).toEqual([
      [key.jkt, "shared-1", (iat + 60) * 1000],
      [key.jkt, "shared-1", (iat + 60) * 1000],
    ]);
  });
});

describe("token source with dpop", () => {
  it("mints a bound token (retrying the token endpoint's use_dpop_nonce) and fetches with a fresh proof, retrying the resource server's nonce once", async () => {
    const tokenProofs: Record<string, unknown>[] = [];
    const dpopKey = await generateDpopKey();
    const token = await accessToken({ cnf: { jkt: dpopKey.jkt } });
    fake.override = (r) => {
      if (r.path === "/.well-known/jwks.json") return { status: 200, body: { keys: [signing.jwk] } };
      if (r.path !== "/oauth/token") return undefined;
      const proof = String(r.headers.dpop);
      tokenProofs.push(decodeJwt(proof));
      if (decodeJwt(proof).nonce !== "as-nonce")
        return {
          status: 400,
          body: { error: "use_dpop_nonce", error_description: "x" },
          headers: { "DPoP-Nonce": "as-nonce" },
        };
      return { status: 200, body: { token_type: "DPoP", expires_in: 600, scope: "read", access_token: token } };
    };
    const rsProofs: Record<string, unknown>[] = [];
    const rsFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = String(input);
      if (!url.startsWith(AUD)) return fetch(input, init);
      const headers = new Headers(init?.headers);
      const proof = decodeJwt(headers.get("dpop") ?? "");
      rsProofs.push(proof);
      if (proof.nonce !== "rs-nonce")
        return new Response(null, {
          status: 401,
          headers: { "WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "rs-nonce" },
        });
      return app.request(url, { ...init, headers });
    };
    const source = createTokenSource({
      issuer: fake.url,
      clientId: "lkc_c",
      clientSecret: "s",
      dpop: dpopKey,
      fetch: rsFetch,
    });
    expect((await source.getToken()).tokenType).toBe("DPoP");
    expect(tokenProofs.map((p) => p.nonce)).toEqual([undefined, "as-nonce"]);
    expect(tokenProofs[0]).toMatchObject({ htm: "POST", htu: `${fake.url}/oauth/token` });
    const res = await source.fetch(`${URL_THINGS}?q=1`);
    expect(res.status).toBe(200);
    expect(rsProofs.map((p) => p.nonce)).toEqual([undefined, "rs-nonce"]);
    expect(rsProofs[1]).toMatchObject({ htm: "GET", htu: URL_THINGS, ath: await accessTokenHash(token) });
    expect(rsProofs[0]!.jti).not.toBe(rsProofs[1]!.jti);
    fake.override = (r) =>
      r.path === "/.well-known/jwks.json" ? { status: 200, body: { keys: [signing.jwk] } } : undefined;
  });
});
