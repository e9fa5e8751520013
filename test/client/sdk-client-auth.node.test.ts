/** Client authentication: Basic encoding (RFC 6749 2.3.1) and RFC 7523/RFC 10070 client assertions, checked with jose. */
import { describe, expect, it } from "vitest";
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { basicAuthorization, createClientAssertion, formEncode, toAssertionKey } from "../../src/client/index.js";

describe("basicAuthorization", () => {
  it("form-urlencodes id and secret before base64 (RFC 6749 section 2.3.1)", () => {
    const header = basicAuthorization("lkc_a b", "se:c%r+t/é");
    expect(header.startsWith("Basic ")).toBe(true);
    const decoded = Buffer.from(header.slice(6), "base64").toString();
    expect(decoded).toBe("lkc_a+b:se%3Ac%25r%2Bt%2F%C3%A9");
  });

  it("leaves Latchkey-shaped ids and secrets unchanged", () => {
    const id = "lkc_AbCdEfGhIjKlMnOpQrStUv";
    const secret = `lks_${"A-_z9".repeat(9)}abcd`;
    expect(Buffer.from(basicAuthorization(id, secret).slice(6), "base64").toString()).toBe(`${id}:${secret}`);
    expect(formEncode(secret)).toBe(secret);
  });
});

describe("createClientAssertion", () => {
  it("signs iss = sub = client_id, aud = the issuer alone (RFC 10070), exp = iat + 60, unique jti, typ client-authentication+jwt", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: "kid-1" };
    const key = await toAssertionKey(jwk);
    const issuer = "http://127.0.0.1:8790";
    const now = 1_800_000_000;
    const a = await createClientAssertion({ clientId: "lkc_x", issuer: `${issuer}/`, key, now });
    const b = await createClientAssertion({ clientId: "lkc_x", issuer, key, now });
    expect(decodeProtectedHeader(a)).toEqual({ alg: "ES256", kid: "kid-1", typ: "client-authentication+jwt" });
    const { payload } = await jwtVerify(a, publicKey, {
      issuer: "lkc_x",
      subject: "lkc_x",
      audience: issuer,
      currentDate: new Date(now * 1000),
      typ: "client-authentication+jwt",
    });
    expect(payload.aud).toBe(issuer);
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.iat).toBe(now);
    const { payload: other } = await jwtVerify(b, publicKey, { currentDate: new Date(now * 1000) });
    expect(typeof payload.jti).toBe("string");
    expect(other.jti).not.toBe(payload.jti);
  });

  it("signs with Ed25519 keys as EdDSA", async () => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true, crv: "Ed25519" });
    const key = await toAssertionKey({ ...(await exportJWK(privateKey)), kid: "ed" });
    expect(key.alg).toBe("EdDSA");
    const jwt = await createClientAssertion({ clientId: "lkc_y", issuer: "https://x", key });
    await expect(jwtVerify(jwt, publicKey, { audience: "https://x" })).resolves.toBeTruthy();
  });

  it("refuses a JWK without kid, a public JWK and a CryptoKey without kid/alg", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    await expect(toAssertionKey(await exportJWK(privateKey))).rejects.toThrow(/kid/);
    await expect(toAssertionKey({ ...(await exportJWK(publicKey)), kid: "k" })).rejects.toThrow(/not a private key/);
    await expect(toAssertionKey(privateKey)).rejects.toThrow(/keyId and algorithm/);
    await expect(toAssertionKey(privateKey, { kid: "k", alg: "ES256" })).resolves.toMatchObject({
      kid: "k",
      alg: "ES256",
    });
  });
});
