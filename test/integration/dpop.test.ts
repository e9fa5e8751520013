/**
 * DPoP at the token endpoint (RFC 9449) against real D1, KV and Durable Objects: a valid proof binds the token
 * (cnf.jkt, token_type DPoP), every section 4.3 check refused on its own with the whole error wire, jti replay
 * per key thumbprint, require_dpop through the admin API (audited, shown), server nonces behind DPOP_NONCES,
 * metadata, and the binding reaching any grant that signs through the key ring.
 */
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/crypto/access-token";
import { toBase64url, utf8 } from "../../src/crypto/encoding";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../src/domain/errors";
import { oauthErrorResponse } from "../../src/middleware/error-handler";
import { tokenEndpoint } from "../../src/oauth/token-endpoint";
import { keyRing } from "../../src/services/isolate-caches";
import {
  call,
  env,
  freshIp,
  ISSUER,
  issuerOf,
  realmPath,
  setupTenant,
  testContext,
  tokenRequest,
  type TestTenant,
} from "../support/harness";
import { newProofKey, proof, type ProofKey } from "../support/dpop";
import { expectOAuthError } from "../support/wire";

const API = "https://api.example.com/dpop";
const TENANT = "dpop-tests";
/** The token endpoint of the tenant's issuer (docs/realms.md), where its credentials authenticate. */
const TOKEN_URL = `${issuerOf(TENANT)}/oauth/token`;
const FORM = { grant_type: "client_credentials", resource: API };

let t: TestTenant;
let key: ProofKey;

async function newCredential(body: Record<string, unknown> = {}) {
  const res = await t.admin("POST", "/credentials", {
    label: `dpop-${crypto.randomUUID().slice(0, 8)}`,
    grants: [{ resource: API, scopes: ["things:read"] }],
    ...body,
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { client_id: string; client_secret: string; require_dpop: boolean };
  return { id: json.client_id, secret: json.client_secret, requireDpop: json.require_dpop };
}

let client: { id: string; secret: string };

function mint(dpop?: string | string[], who = client) {
  const headers: Record<string, string> = {};
  if (typeof dpop === "string") headers.dpop = dpop;
  if (Array.isArray(dpop)) headers.dpop = dpop.join(", ");
  return tokenRequest(FORM, { basic: [who.id, who.secret], ip: freshIp(), headers });
}

const b64json = (v: unknown) => toBase64url(utf8.encode(JSON.stringify(v)));

beforeAll(async () => {
  t = await setupTenant(TENANT);
  const res = await t.admin("POST", "/resources", { uri: API, name: "dpop api", scopes: [{ name: "things:read" }] });
  expect(res.status).toBe(201);
  client = await newCredential();
  key = await newProofKey();
});

describe("a valid proof binds the token", () => {
  for (const alg of ["ES256", "EdDSA"] as const) {
    it(`${alg}: 200, token_type DPoP, cnf.jkt is the proof key's thumbprint, no-store`, async () => {
      const k = await newProofKey(alg);
      const res = await mint(await proof(k, TOKEN_URL));
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("dpop-nonce")).toBeNull();
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: "DPoP", scope: "things:read", expires_in: 3600 });
      expect(decodeJwt(body.access_token as string).cnf).toEqual({ jkt: k.jkt });
    });
  }

  it("without a DPoP header the token is Bearer and carries no cnf", async () => {
    const res = await mint();
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.token_type).toBe("Bearer");
    expect(decodeJwt(body.access_token as string).cnf).toBeUndefined();
  });

  it("accepts an htu with a query and fragment, and one that normalises to the endpoint", async () => {
    for (const htu of [
      `${TOKEN_URL}?x=1#f`,
      `HTTPS://LATCHKEY.TEST:443${realmPath(TENANT)}/oauth/token`,
      `${issuerOf(TENANT)}/oauth/../oauth/token`,
    ]) {
      const res = await mint(await proof(key, htu));
      expect(res.status, htu).toBe(200);
    }
  });

  it("the binding reaches any grant that signs through the key ring with the deps it was given", async () => {
    const ctx = testContext();
    const deps = { config: ctx.config, db: ctx.db, realm: ctx.realm, tokenBinding: { jkt: key.jkt } };
    const { signer } = await keyRing(deps, Date.now());
    const claims = { iss: ISSUER, sub: "x", aud: API, client_id: "x", scope: "", iat: 1, exp: 2, jti: "j" };
    const token = await signAccessToken({ ...claims, svc: "svc:x", tenant: "t", groups: [] }, signer);
    expect(decodeJwt(token).cnf).toEqual({ jkt: key.jkt });
    const { signer: plain } = await keyRing({ config: ctx.config, db: ctx.db, realm: ctx.realm }, Date.now());
    expect(plain.confirmation).toBeUndefined();
  });
});

describe("RFC 9449 section 4.3: each check refused alone (400 invalid_dpop_proof)", () => {
  const nowS = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string | string[]>][] = [
    ["two DPoP headers", async () => [await proof(key, TOKEN_URL), await proof(key, TOKEN_URL)]],
    ["not a JWT", async () => "not-a-jwt"],
    ["an empty header", async () => ""],
    ["typ missing", () => proof(key, TOKEN_URL, { header: { typ: undefined } })],
    ["typ JWT", () => proof(key, TOKEN_URL, { header: { typ: "JWT" } })],
    [
      "alg none",
      async () =>
        `${b64json({ typ: "dpop+jwt", alg: "none", jwk: key.publicJwk })}.${b64json({ jti: "n", htm: "POST", htu: TOKEN_URL, iat: nowS() })}.`,
    ],
    [
      "alg HS256",
      async () =>
        new SignJWT({ jti: "h", htm: "POST", htu: TOKEN_URL, iat: nowS() })
          .setProtectedHeader({ typ: "dpop+jwt", alg: "HS256", jwk: { kty: "oct", k: "c2VjcmV0" } } as never)
          .sign(utf8.encode("a-shared-secret-of-32-bytes-long")),
    ],
    [
      "alg RS256 (not on the allow-list)",
      async () => {
        const rsa = await generateKeyPair("RS256", { extractable: true });
        return new SignJWT({ jti: "r", htm: "POST", htu: TOKEN_URL, iat: nowS() })
          .setProtectedHeader({ typ: "dpop+jwt", alg: "RS256", jwk: await exportJWK(rsa.publicKey) })
          .sign(rsa.privateKey);
      },
    ],
    ["no jwk", () => proof(key, TOKEN_URL, { header: { jwk: undefined } })],
    ["a private jwk", () => proof(key, TOKEN_URL, { header: { jwk: key.privateJwk } })],
    ["signed by another key", async () => proof(key, TOKEN_URL, { signWith: (await newProofKey()).privateKey })],
    [
      "jwk alg disagreeing with the header",
      () => proof(key, TOKEN_URL, { header: { jwk: { ...key.publicJwk, alg: "EdDSA" } } }),
    ],
    ["jti missing", () => proof(key, TOKEN_URL, { claims: { jti: undefined } })],
    ["jti empty", () => proof(key, TOKEN_URL, { claims: { jti: "" } })],
    ["htm missing", () => proof(key, TOKEN_URL, { claims: { htm: undefined } })],
    ["htu missing", () => proof(key, TOKEN_URL, { claims: { htu: undefined } })],
    ["iat missing", () => proof(key, TOKEN_URL, { claims: { iat: undefined } })],
    ["iat a string", () => proof(key, TOKEN_URL, { claims: { iat: String(nowS()) } })],
    ["htm GET", () => proof(key, TOKEN_URL, { htm: "GET" })],
    ["htm lower-case post", () => proof(key, TOKEN_URL, { htm: "post" })],
    ["htu another host", () => proof(key, "https://evil.example/oauth/token")],
    ["htu another path", () => proof(key, `${issuerOf(TENANT)}/oauth/introspect`)],
    ["htu the root issuer's token endpoint", () => proof(key, `${ISSUER}/oauth/token`)],
    ["htu another scheme", () => proof(key, `http://latchkey.test${realmPath(TENANT)}/oauth/token`)],
    ["htu not a URL", () => proof(key, "oauth/token")],
    ["iat 61 s old", () => proof(key, TOKEN_URL, { nowS: nowS() - 61 })],
    ["iat 30 s ahead", () => proof(key, TOKEN_URL, { nowS: nowS() + 30 })],
  ];
  for (const [why, make] of cases) {
    it(why, async () => {
      const res = await mint(await make());
      await expectOAuthError(res, 400, "invalid_dpop_proof", { description: D.dpopProofInvalid, why });
    });
  }

  it("a replayed proof is refused; the same jti under another key is not a replay", async () => {
    const once = await proof(key, TOKEN_URL, { claims: { jti: "replay-me" } });
    expect((await mint(once)).status).toBe(200);
    await expectOAuthError(await mint(once), 400, "invalid_dpop_proof", { description: D.dpopProofInvalid });
    const other = await newProofKey();
    expect((await mint(await proof(other, TOKEN_URL, { claims: { jti: "replay-me" } }))).status).toBe(200);
  });

  it("a failed client authentication is still invalid_client, whatever the proof", async () => {
    const res = await mint(await proof(key, TOKEN_URL), { id: client.id, secret: "lks_wrong" });
    await expectOAuthError(res, 401, "invalid_client", { basicChallenge: true });
  });
});

describe("require_dpop", () => {
  it("is shown, refuses a mint without a proof, binds with one, and PATCH turns it off, audited", async () => {
    const strict = await newCredential({ require_dpop: true });
    expect(strict.requireDpop).toBe(true);
    await expectOAuthError(await mint(undefined, strict), 400, "invalid_dpop_proof", {
      description: D.dpopProofRequired,
    });
    const bound = await mint(await proof(key, TOKEN_URL), strict);
    expect(((await bound.json()) as { token_type: string }).token_type).toBe("DPoP");

    const patched = await t.admin("PATCH", `/credentials/${strict.id}`, { require_dpop: false });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { require_dpop: boolean }).require_dpop).toBe(false);
    const shown = (await (await t.admin("GET", `/credentials/${strict.id}`)).json()) as { require_dpop: boolean };
    expect(shown.require_dpop).toBe(false);
    const res = await mint(undefined, strict);
    expect(((await res.json()) as { token_type: string }).token_type).toBe("Bearer");

    const audit = (await (await t.admin("GET", `/audit?target=${strict.id}`)).json()) as {
      events: { action: string; detail: Record<string, unknown> }[];
    };
    expect(audit.events.map((e) => e.action)).toEqual(["credential.update", "credential.create"]);
    expect(audit.events[0]!.detail).toEqual({
      before: { groups: [], grants: [{ resource: API, scopes: ["things:read"] }], require_dpop: true },
      after: { require_dpop: false },
    });
    expect(audit.events[1]!.detail).toMatchObject({ require_dpop: true });
  });

  it("defaults to false, and refuses a non-boolean", async () => {
    expect((await newCredential()).requireDpop).toBe(false);
    const res = await t.admin("PATCH", `/credentials/${client.id}`, { require_dpop: "yes" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_request");
  });
});

describe("server nonces (DPOP_NONCES=on)", () => {
  // The realm middleware sets the addressed tenant for a request under /t/{tenant}; a direct call sets it here.
  const nonceCtx = () => ({ ...testContext({ ...env, DPOP_NONCES: "on" }), realm: TENANT });
  const direct = async (dpop: string) => {
    const request = new Request(TOKEN_URL, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${client.id}:${client.secret}`)}`,
        "cf-connecting-ip": freshIp(),
        dpop,
      },
      body: new URLSearchParams(FORM).toString(),
    });
    try {
      return await tokenEndpoint(nonceCtx(), request);
    } catch (err) {
      if (err instanceof OAuthError) return oauthErrorResponse(err);
      throw err;
    }
  };

  it("a proof without a nonce gets use_dpop_nonce and a DPoP-Nonce; with it, a bound token and the next nonce", async () => {
    const first = await direct(await proof(key, TOKEN_URL));
    const nonce = first.headers.get("dpop-nonce");
    await expectOAuthError(first, 400, "use_dpop_nonce", { description: D.dpopNonceRequired });
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const second = await direct(await proof(key, TOKEN_URL, { claims: { nonce } }));
    expect(second.status).toBe(200);
    expect(second.headers.get("dpop-nonce")).toBe(nonce);
    expect(((await second.json()) as { token_type: string }).token_type).toBe("DPoP");
  });

  it("a forged or stale nonce gets use_dpop_nonce", async () => {
    for (const nonce of [
      "0.AAAAAAAAAAAAAAAAAAAAAA",
      "abc",
      `${(Math.floor(Date.now() / 60_000) - 5).toString(36)}.AAAAAAAAAAAAAAAAAAAAAA`,
    ]) {
      const res = await direct(await proof(key, TOKEN_URL, { claims: { nonce } }));
      expect(res.headers.get("dpop-nonce"), nonce).not.toBeNull();
      await expectOAuthError(res, 400, "use_dpop_nonce", { description: D.dpopNonceRequired, why: nonce });
    }
  });

  it("nonces off (the default): the nonce is neither asked for nor sent", async () => {
    const res = await mint(await proof(key, TOKEN_URL, { claims: { nonce: "anything" } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("dpop-nonce")).toBeNull();
  });
});

describe("the admin API as a resource server (RFC 9449 section 7.1)", () => {
  const RESOURCES = `${ISSUER}/api/v1/resources`;
  const ath = async (token: string) =>
    toBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(token))));
  /** A management token bound to `key`, minted with a proof at the tenant's token endpoint. */
  async function boundManagementToken(): Promise<string> {
    const res = await tokenRequest(
      { grant_type: "client_credentials", resource: "urn:latchkey:management" },
      { basic: [t.adminClientId, t.adminSecret], ip: freshIp(), headers: { dpop: await proof(key, TOKEN_URL) } },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe("DPoP");
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt });
    return body.access_token;
  }
  const listResources = (authorization: string, dpop?: string) =>
    call("/api/v1/resources", { headers: { authorization, ...(dpop === undefined ? {} : { dpop }) } });

  it("takes a bound token only as DPoP with a proof of its key for this request, each proof once", async () => {
    const token = await boundManagementToken();
    const good = await proof(key, RESOURCES, { htm: "GET", claims: { ath: await ath(token) } });
    const ok = await listResources(`DPoP ${token}`, good);
    expect(ok.status).toBe(200);

    const asBearer = await listResources(`Bearer ${token}`);
    expect(asBearer.status).toBe(401);
    expect(((await asBearer.json()) as { code: string }).code).toBe("dpop_bound_token");
    expect(asBearer.headers.get("www-authenticate")).toBe('DPoP algs="ES256 EdDSA", error="invalid_token"');

    const other = await newProofKey();
    const cases: [string, string | undefined][] = [
      ["no proof", undefined],
      ["replayed proof", good],
      ["no ath", await proof(key, RESOURCES, { htm: "GET" })],
      ["another token's ath", await proof(key, RESOURCES, { htm: "GET", claims: { ath: await ath(`${token}x`) } })],
      ["another method", await proof(key, RESOURCES, { htm: "POST", claims: { ath: await ath(token) } })],
      [
        "another URL",
        await proof(key, `${ISSUER}/api/v1/credentials`, { htm: "GET", claims: { ath: await ath(token) } }),
      ],
      ["another key", await proof(other, RESOURCES, { htm: "GET", claims: { ath: await ath(token) } })],
      [
        "too old",
        await proof(key, RESOURCES, {
          htm: "GET",
          nowS: Math.floor(Date.now() / 1000) - 600,
          claims: { ath: await ath(token) },
        }),
      ],
    ];
    for (const [why, dpop] of cases) {
      const res = await listResources(`DPoP ${token}`, dpop);
      expect(res.status, why).toBe(401);
      expect(((await res.json()) as { code: string }).code, why).toBe("invalid_dpop_proof");
      expect(res.headers.get("www-authenticate"), why).toBe('DPoP algs="ES256 EdDSA", error="invalid_dpop_proof"');
    }
  });

  it("refuses an unbound token sent as DPoP, and keeps Bearer for unbound tokens", async () => {
    const unbound = await listResources(`DPoP ${t.adminToken}`, await proof(key, RESOURCES, { htm: "GET" }));
    expect(unbound.status).toBe(401);
    expect(((await unbound.json()) as { code: string }).code).toBe("dpop_bound_token");
    expect((await listResources(`Bearer ${t.adminToken}`)).status).toBe(200);
  });
});

describe("metadata", () => {
  it("lists dpop_signing_alg_values_supported", async () => {
    const res = await call("/.well-known/oauth-authorization-server");
    expect(((await res.json()) as Record<string, unknown>).dpop_signing_alg_values_supported).toEqual([
      "ES256",
      "EdDSA",
    ]);
  });
});
