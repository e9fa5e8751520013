/**
 * private_key_jwt at the real token endpoint (RFC 7523 sections 2.2 and 3): a key registered by setup-code
 * redemption mints, and the token verifies against the served JWKS; every bad assertion (wrong key or kid,
 * an aud other than the issuer alone (RFC 10070), a typ other than client-authentication+jwt, expired, too long-lived, replayed jti, alg none, HS256 keyed with the public key, RS256,
 * missing jti or exp, iss != sub, mismatched client_id) gets the same 401 invalid_client body a wrong secret
 * gets; two live keys rotate with no downtime and a retired key stops at once; revocation stops every key.
 */
import { createLocalJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { toBase64url, utf8 } from "../../src/crypto/encoding";
import { setLogSink } from "../../src/log";
import { call, freshIp, ISSUER, setupTenant, tokenRequest, type TestTenant } from "../support/harness";
import {
  CLIENT_ASSERTION_TYP,
  INVALID_CLIENT,
  JWT_BEARER,
  newClientKey,
  redeem,
  signAssertion,
  TOKEN_ENDPOINT,
  type ClientKey,
} from "../support/client-keys";
import { expectInvalidClient } from "../support/wire";

const API = "https://api.example.com/reports";
let t: TestTenant;
let clientId: string;
let label: string;
let keyA: ClientKey;

function assertionRequest(assertion: string, extra: Record<string, string> = {}) {
  return tokenRequest(
    { grant_type: "client_credentials", client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra },
    { ip: freshIp() },
  );
}

async function newCode(): Promise<string> {
  const res = await t.admin("POST", `/credentials/${clientId}/setup-codes`, {});
  expect(res.status).toBe(201);
  return ((await res.json()) as { setup_code: { code: string } }).setup_code.code;
}

async function registerKey(key: ClientKey) {
  const res = await redeem({ code: await newCode(), mode: "key", public_jwk: key.publicJwk, hostname: "reporter" });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { key_id: string }).key_id).toBe(key.thumbprint);
}

async function keysOf(id: string) {
  const res = await t.admin("GET", `/credentials/${id}`);
  return (
    (await res.json()) as { keys: { id: string; thumbprint: string; status: string; retired_at: string | null }[] }
  ).keys;
}

beforeAll(async () => {
  t = await setupTenant("default");
  expect(
    (await t.admin("POST", "/resources", { uri: API, name: "Reports", scopes: [{ name: "reports:read" }] })).status,
  ).toBe(201);
  label = `reporter-${crypto.randomUUID().slice(0, 8)}`;
  const created = await t.admin("POST", "/credentials", {
    label,
    grants: [{ resource: API, scopes: ["reports:read"] }],
    delivery: "setup_code",
  });
  const body = (await created.json()) as { id: string; setup_code: { code: string } };
  clientId = body.id;
  keyA = await newClientKey("ES256");
  const res = await redeem({ code: body.setup_code.code, mode: "key", public_jwk: keyA.publicJwk });
  expect(res.status).toBe(200);
});

describe("metadata", () => {
  it("lists private_key_jwt and its signing algorithms (RFC 8414)", async () => {
    const res = await call("/.well-known/oauth-authorization-server");
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual([
      "client_secret_basic",
      "client_secret_post",
      "private_key_jwt",
      "none",
    ]);
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toEqual(["ES256", "EdDSA"]);
  });
});

describe("a valid assertion", () => {
  it("mints a token that verifies against the served JWKS", async () => {
    const res = await assertionRequest(await signAssertion(keyA, clientId), { client_id: clientId });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 3600,
      scope: "reports:read",
    });
    const jwks = (await (await call("/.well-known/jwks.json")).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: API,
      typ: "at+jwt",
    });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({ sub: clientId, client_id: clientId, scope: "reports:read", svc: `svc:${label}` });
  });

  it("accepts the issuer as the sole aud (RFC 10070), as a string or a one-element array, and no client_id in the body", async () => {
    expect((await assertionRequest(await signAssertion(keyA, clientId, { claims: { aud: ISSUER } }))).status).toBe(200);
    expect((await assertionRequest(await signAssertion(keyA, clientId, { claims: { aud: [ISSUER] } }))).status).toBe(
      200,
    );
    expect((await assertionRequest(await signAssertion(keyA, clientId, { claims: { iat: undefined } }))).status).toBe(
      200,
    );
  });

  it("accepts typ client-authentication+jwt (any case, application/ prefix) or no typ (RFC 10070 section 4)", async () => {
    for (const typ of [
      CLIENT_ASSERTION_TYP,
      "Client-Authentication+JWT",
      `application/${CLIENT_ASSERTION_TYP}`,
      undefined,
    ]) {
      expect(
        (await assertionRequest(await signAssertion(keyA, clientId, { header: { typ } }))).status,
        String(typ),
      ).toBe(200);
    }
  });

  it("accepts an assertion without kid (RFC 7523 does not require one) when a live key of the client verifies it", async () => {
    expect((await assertionRequest(await signAssertion(keyA, clientId, { header: { kid: undefined } }))).status).toBe(
      200,
    );
  });
});

describe("a bad assertion", () => {
  it("fails with the exact invalid_client body a wrong secret gets", async () => {
    const wrongSecret = await tokenRequest(
      { grant_type: "client_credentials", client_id: clientId, client_secret: "lks_wrong" },
      { ip: freshIp() },
    );
    const secretBody = await wrongSecret.json();
    expect(secretBody).toEqual(INVALID_CLIENT);

    const now = Math.floor(Date.now() / 1000);
    const otherKey = await newClientKey("ES256");
    const edKey = await newClientKey("EdDSA");
    const rsa = await generateKeyPair("RS256");
    const header = (h: object) => toBase64url(utf8.encode(JSON.stringify(h)));
    const claims = { iss: clientId, sub: clientId, aud: ISSUER, iat: now, exp: now + 60, jti: crypto.randomUUID() };
    const cases: [string, string | Promise<string>, Record<string, string>?][] = [
      ["signed by another key under A's kid", signAssertion({ ...otherKey, thumbprint: keyA.thumbprint }, clientId)],
      ["a kid no key of this client has", signAssertion(otherKey, clientId)],
      ["EdDSA under A's kid", signAssertion({ ...edKey, thumbprint: keyA.thumbprint }, clientId)],
      [
        "no kid, signed by a key this client does not hold",
        signAssertion(otherKey, clientId, { header: { kid: undefined } }),
      ],
      ["wrong aud", signAssertion(keyA, clientId, { claims: { aud: "https://evil.example/oauth/token" } })],
      ["the token endpoint URL as aud (RFC 10070)", signAssertion(keyA, clientId, { claims: { aud: TOKEN_ENDPOINT } })],
      ["[token endpoint] as aud", signAssertion(keyA, clientId, { claims: { aud: [TOKEN_ENDPOINT] } })],
      [
        "the issuer plus another aud",
        signAssertion(keyA, clientId, { claims: { aud: [ISSUER, "https://other.example"] } }),
      ],
      [
        "another aud plus the issuer",
        signAssertion(keyA, clientId, { claims: { aud: ["https://other.example", ISSUER] } }),
      ],
      ["the issuer twice", signAssertion(keyA, clientId, { claims: { aud: [ISSUER, ISSUER] } })],
      ["the issuer with a trailing slash", signAssertion(keyA, clientId, { claims: { aud: `${ISSUER}/` } })],
      ["typ JWT", signAssertion(keyA, clientId, { header: { typ: "JWT" } })],
      ["typ at+jwt", signAssertion(keyA, clientId, { header: { typ: "at+jwt" } })],
      ["typ dpop+jwt", signAssertion(keyA, clientId, { header: { typ: "dpop+jwt" } })],
      ["expired", signAssertion(keyA, clientId, { claims: { iat: now - 200, exp: now - 100 } })],
      ["lives longer than five minutes", signAssertion(keyA, clientId, { claims: { exp: now + 600 } })],
      ["exp too far ahead without iat", signAssertion(keyA, clientId, { claims: { iat: undefined, exp: now + 900 } })],
      ["issued in the future", signAssertion(keyA, clientId, { claims: { iat: now + 200, exp: now + 260 } })],
      ["no jti", signAssertion(keyA, clientId, { claims: { jti: undefined } })],
      ["no exp", signAssertion(keyA, clientId, { claims: { exp: undefined } })],
      ["iss differs from sub", signAssertion(keyA, clientId, { claims: { sub: "lkc_AAAAAAAAAAAAAAAAAAAAAA" } })],
      ["iss is another client", signAssertion(keyA, "lkc_AAAAAAAAAAAAAAAAAAAAAA")],
      ["body client_id differs from iss", signAssertion(keyA, clientId), { client_id: "lkc_AAAAAAAAAAAAAAAAAAAAAA" }],
      [
        "alg none",
        `${header({ alg: "none", kid: keyA.thumbprint })}.${toBase64url(utf8.encode(JSON.stringify(claims)))}.`,
      ],
      [
        "HS256 keyed with the public JWK",
        new SignJWT(claims)
          .setProtectedHeader({ alg: "HS256", kid: keyA.thumbprint })
          .sign(utf8.encode(JSON.stringify(keyA.publicJwk))),
      ],
      ["RS256", new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: keyA.thumbprint }).sign(rsa.privateKey)],
      ["not a JWT", "abc.def.ghi"],
    ];
    for (const [why, assertion, extra] of cases)
      await expectInvalidClient(await assertionRequest(await assertion, extra), { why });
    await expectInvalidClient(
      await tokenRequest(
        {
          grant_type: "client_credentials",
          client_assertion_type: "urn:other",
          client_assertion: await signAssertion(keyA, clientId),
        },
        { ip: freshIp() },
      ),
      { why: "wrong assertion type" },
    );
  });

  it("refuses a replayed jti while the assertion is valid", async () => {
    const assertion = await signAssertion(keyA, clientId);
    expect((await assertionRequest(assertion)).status).toBe(200);
    await expectInvalidClient(await assertionRequest(assertion), { why: "replayed assertion" });
    const sameJti = await signAssertion(keyA, clientId, { claims: { jti: "fixed-jti-1" } });
    expect((await assertionRequest(sameJti)).status).toBe(200);
    await expectInvalidClient(
      await assertionRequest(await signAssertion(keyA, clientId, { claims: { jti: "fixed-jti-1" } })),
      { why: "same jti, new signature" },
    );
  });
});

describe("the jti check overlapped with signing", () => {
  afterEach(() => setLogSink());

  /** The token_minted events for this file's client logged while `work` runs. */
  async function mintEvents(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    try {
      await work();
    } finally {
      setLogSink();
    }
    return lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === "token_minted" && e.client_id === clientId);
  }

  it("lets exactly one of ten concurrent uses of one assertion mint, with one token_minted event", async () => {
    const assertion = await signAssertion(keyA, clientId);
    let answers: Response[] = [];
    const events = await mintEvents(async () => {
      answers = await Promise.all(Array.from({ length: 10 }, () => assertionRequest(assertion)));
    });
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200))
      await expectInvalidClient(res, { why: "concurrent replay" });
    const { access_token } = (await ok[0]!.json()) as { access_token: string };
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ method: "private_key_jwt", jti: decodeJwt(access_token).jti });
  });

  it("answers a replay invalid_client even when a later step would refuse the request otherwise", async () => {
    const assertion = await signAssertion(keyA, clientId);
    expect((await assertionRequest(assertion)).status).toBe(200);
    const events = await mintEvents(async () => {
      await expectInvalidClient(await assertionRequest(assertion, { scope: "reports:write" }), {
        why: "replay with an ungranted scope",
      });
      await expectInvalidClient(await assertionRequest(assertion, { resource: "https://elsewhere.example/" }), {
        why: "replay with an ungranted resource",
      });
    });
    expect(events).toEqual([]);
  });

  it("answers a fresh assertion with an ungranted scope invalid_scope, as before", async () => {
    const res = await assertionRequest(await signAssertion(keyA, clientId), { scope: "reports:write" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_scope" });
  });
});

describe("key rotation and revocation", () => {
  it("runs two live keys at once; a retired key stops at once while the other goes on; revocation stops all", async () => {
    const keyB = await newClientKey("EdDSA");
    await registerKey(keyB);
    expect((await keysOf(clientId)).map((k) => [k.thumbprint, k.status])).toEqual([
      [keyB.thumbprint, "active"],
      [keyA.thumbprint, "active"],
    ]);
    expect((await assertionRequest(await signAssertion(keyA, clientId))).status).toBe(200);
    expect((await assertionRequest(await signAssertion(keyB, clientId))).status).toBe(200);
    // Without kid, whichever live key signed it is found.
    expect((await assertionRequest(await signAssertion(keyB, clientId, { header: { kid: undefined } }))).status).toBe(
      200,
    );

    const idA = (await keysOf(clientId)).find((k) => k.thumbprint === keyA.thumbprint)?.id as string;
    const retired = await t.admin("DELETE", `/credentials/${clientId}/keys/${idA}`);
    expect(retired.status).toBe(200);
    const view = (await retired.json()) as { keys: { id: string; status: string; retired_at: string | null }[] };
    expect(view.keys.find((k) => k.id === idA)).toMatchObject({ status: "retired", retired_at: expect.any(String) });
    await expectInvalidClient(await assertionRequest(await signAssertion(keyA, clientId)), { why: "retired key" });
    await expectInvalidClient(
      await assertionRequest(await signAssertion(keyA, clientId, { header: { kid: undefined } })),
      { why: "retired key, no kid" },
    );
    expect((await assertionRequest(await signAssertion(keyB, clientId))).status).toBe(200);
    expect((await t.admin("DELETE", `/credentials/${clientId}/keys/${idA}`)).status).toBe(409);
    expect((await t.admin("DELETE", `/credentials/${clientId}/keys/key_nope`)).status).toBe(404);
    const audit = (await (await t.admin("GET", `/audit?action=credential.key.retire&target=${clientId}`)).json()) as {
      events: { detail: unknown }[];
    };
    expect(audit.events[0]?.detail).toEqual({ key: idA, thumbprint: keyA.thumbprint });

    expect((await t.admin("POST", `/credentials/${clientId}/revoke`, { confirm_label: label })).status).toBe(200);
    await expectInvalidClient(await assertionRequest(await signAssertion(keyB, clientId)), {
      why: "revoked credential",
    });
    expect((await keysOf(clientId)).map((k) => k.status)).toEqual(["retired", "retired"]);
  });
});
