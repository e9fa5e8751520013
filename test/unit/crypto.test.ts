/**
 * The crypto layer with fixed inputs: client-assertion verdicts (src/crypto/client-assertion.ts, RFC 7523
 * as updated by RFC 10070) for jose-signed assertions, the signing-key envelope (src/crypto/signing-keys.ts:
 * round trip, kid as additional data, v1 and v2, the previous key), and the secret and setup-code format and
 * keyed hashing against fixed vectors (src/crypto/secrets.ts). One file for the layer, longer than 200 lines,
 * because workerd starts once per test file.
 */
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, UnsecuredJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { toClientPublicKey, verifyClientAssertion, type ClientPublicKey } from "../../src/crypto/client-assertion";
import { fromBase64url, toBase64url, utf8 } from "../../src/crypto/encoding";
import { keyId } from "../../src/crypto/key-id";
import {
  digestsEqual,
  isWellFormedSecret,
  isWellFormedSetupCode,
  keyedHash,
  newClientSecret,
  newSetupCode,
} from "../../src/crypto/secrets";
import {
  envelopeKeyId,
  generateSigningKey,
  openPrivateJwk,
  openPrivateKey,
  sealPrivateJwk,
} from "../../src/crypto/signing-keys";

const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;
const ISSUER = "https://latchkey.test";
const CLIENT = "lkc_BBBBBBBBBBBBBBBBBBBBBB";
const EXPECT = { clientId: CLIENT, issuer: ISSUER, nowMs: NOW_MS };

interface Signer {
  key: ClientPublicKey;
  privateKey: CryptoKey;
}

async function signer(alg: "ES256" | "EdDSA" = "ES256"): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = (await exportJWK(publicKey)) as { kty: string; crv: string; x: string; y?: string };
  const key = await toClientPublicKey(jwk);
  if (!key) throw new Error("test key refused");
  return { key, privateKey };
}

/** A valid assertion (aud the issuer, typ client-authentication+jwt, 60 s), with claims and header overridden; undefined removes one. */
function assertion(
  s: Signer,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: CLIENT,
    sub: CLIENT,
    aud: ISSUER,
    iat: NOW_S,
    exp: NOW_S + 60,
    jti: "jti-1",
    ...claims,
  };
  const protectedHeader: Record<string, unknown> = {
    alg: s.key.alg,
    kid: s.key.thumbprint,
    typ: "client-authentication+jwt",
    ...header,
  };
  for (const o of [payload, protectedHeader]) for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(s.privateKey);
}

describe("verifyClientAssertion: accepted", () => {
  it("accepts a valid ES256 or EdDSA assertion and returns its jti and expiry", async () => {
    for (const alg of ["ES256", "EdDSA"] as const) {
      const s = await signer(alg);
      expect(await verifyClientAssertion(await assertion(s), s.key, EXPECT), alg).toEqual({
        ok: true,
        jti: "jti-1",
        expMs: (NOW_S + 60) * 1000,
      });
    }
  });

  it("accepts typ absent, with application/, and in any case (RFC 7515 section 4.1.9)", async () => {
    const s = await signer();
    for (const typ of [undefined, "application/client-authentication+jwt", "Client-Authentication+JWT"]) {
      expect((await verifyClientAssertion(await assertion(s, {}, { typ }), s.key, EXPECT)).ok, String(typ)).toBe(true);
    }
  });

  it("accepts aud as an array holding the issuer alone, no iat, a 300 s lifetime, and exp within the 30 s skew", async () => {
    const s = await signer();
    for (const claims of [
      { aud: [ISSUER] },
      { iat: undefined },
      { iat: NOW_S - 240, exp: NOW_S + 60 },
      { iat: undefined, exp: NOW_S + 330 },
      { exp: NOW_S - 20 },
      { jti: "j".repeat(256) },
    ]) {
      expect((await verifyClientAssertion(await assertion(s, claims), s.key, EXPECT)).ok, JSON.stringify(claims)).toBe(
        true,
      );
    }
  });
});

describe("verifyClientAssertion: refused", () => {
  it.each([
    ["typ JWT", {}, { typ: "JWT" }, "assertion typ is neither client-authentication+jwt nor absent"],
    ["typ of another profile", {}, { typ: "at+jwt" }, "assertion typ is neither client-authentication+jwt nor absent"],
    ["aud with a second value", { aud: [ISSUER, "https://other.test"] }, {}, "assertion aud is not the issuer alone"],
    ["aud the token endpoint (RFC 10070)", { aud: `${ISSUER}/oauth/token` }, {}, "assertion rejected:"],
    ["aud another server", { aud: "https://other.test" }, {}, "assertion rejected:"],
    ["expired beyond the skew", { iat: NOW_S - 120, exp: NOW_S - 31 }, {}, "assertion rejected:"],
    ["exp too far ahead", { iat: undefined, exp: NOW_S + 331 }, {}, "assertion lives too long"],
    [
      "a lifetime over five minutes",
      { iat: NOW_S - 100, exp: NOW_S + 201 },
      {},
      "assertion lifetime over five minutes",
    ],
    ["iat in the future", { iat: NOW_S + 31, exp: NOW_S + 90 }, {}, "assertion issued in the future"],
    ["no exp", { exp: undefined }, {}, "assertion rejected:"],
    ["no jti", { jti: undefined }, {}, "assertion rejected:"],
    ["an empty jti", { jti: "" }, {}, "missing or oversized jti"],
    ["a jti over 256 characters", { jti: "j".repeat(257) }, {}, "missing or oversized jti"],
    ["iss another client", { iss: "lkc_CCCCCCCCCCCCCCCCCCCCCC" }, {}, "assertion rejected:"],
    ["sub other than iss", { sub: "lkc_CCCCCCCCCCCCCCCCCCCCCC" }, {}, "assertion rejected:"],
  ])("refuses %s", async (_case, claims, header, reason) => {
    const s = await signer();
    const verdict = await verifyClientAssertion(await assertion(s, claims, header), s.key, EXPECT);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? "" : verdict.reason).toMatch(new RegExp(`^${reason.replace(/[+]/g, "\\+")}`));
  });

  it("pins the algorithm to the stored key: another key, EdDSA for an ES256 key, HS256 with the public key, alg none", async () => {
    const s = await signer("ES256");
    const other = await signer("ES256");
    const ed = await signer("EdDSA");
    const hmacKey = await crypto.subtle.importKey(
      "raw",
      utf8.encode(JSON.stringify(s.key.publicJwk)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const claims = { iss: CLIENT, sub: CLIENT, aud: ISSUER, iat: NOW_S, exp: NOW_S + 60, jti: "j" };
    const forged = [
      await assertion(other, {}, { kid: s.key.thumbprint }),
      await assertion(ed, {}, { kid: s.key.thumbprint }),
      await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: s.key.thumbprint }).sign(hmacKey),
      new UnsecuredJWT(claims).encode(),
      "not.a.jwt",
    ];
    for (const jwt of forged) {
      const verdict = await verifyClientAssertion(jwt, s.key, EXPECT);
      expect(verdict.ok ? "" : verdict.reason, jwt.slice(0, 30)).toMatch(/^assertion rejected: /);
    }
  });

  it("refuses even a valid assertion when no key is found, after the same verification work (the decoy)", async () => {
    const s = await signer();
    expect(await verifyClientAssertion(await assertion(s), null, EXPECT)).toEqual({
      ok: false,
      reason: "no live key of this client matches kid and alg",
    });
  });
});

describe("toClientPublicKey", () => {
  it("keeps only the public members of P-256 and Ed25519 keys and refuses others", async () => {
    const s = await signer();
    const { d: _d, ...pub } = (await exportJWK(s.privateKey)) as JWK & { kty: string; crv: string; x: string };
    expect((await toClientPublicKey(pub))?.publicJwk).toEqual({ kty: "EC", crv: "P-256", x: pub.x, y: pub.y });
    expect(await toClientPublicKey({ ...pub, crv: "P-384" })).toBeNull();
    expect(await toClientPublicKey({ kty: "OKP", crv: "Ed25519", x: pub.x, y: pub.y })).toBeNull();
    expect(await toClientPublicKey({ ...pub, x: pub.x.slice(0, -2) })).toBeNull();
  });
});

describe("the signing-key envelope", () => {
  const KEK = "dGVzdC1rZWstdGVzdC1rZWstdGVzdC1rZWstdGVzdC0";
  const NEXT_KEK = "bmV4dC1rZWstbmV4dC1rZWstbmV4dC1rZWstbmV4dC0";
  const JWK_IN: JWK = { kty: "OKP", crv: "Ed25519", x: "x-value", d: "d-value", kid: "kid-1" };

  /** A v1 envelope ("v1.<iv>.<ciphertext>", no key id), as written before key ids existed. */
  async function sealV1(secret: string, kid: string, jwk: JWK): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const key = await crypto.subtle.importKey("raw", fromBase64url(secret), "AES-GCM", false, ["encrypt"]);
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8.encode(kid) },
      key,
      utf8.encode(JSON.stringify(jwk)),
    );
    return ["v1", toBase64url(iv), toBase64url(new Uint8Array(ct))].join(".");
  }

  it("round-trips a private JWK in a v2 envelope naming its key id, with a fresh IV each time", async () => {
    const envelope = await sealPrivateJwk(KEK, "kid-1", JWK_IN);
    expect(envelope).toMatch(/^v2\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(envelopeKeyId(envelope)).toBe(await keyId(KEK));
    expect(envelope).not.toContain("d-value");
    expect(await openPrivateJwk({ current: KEK }, "kid-1", envelope)).toEqual(JWK_IN);
    expect(await sealPrivateJwk(KEK, "kid-1", JWK_IN)).not.toBe(envelope);
  });

  it("binds the envelope to its kid: opened under another kid, or tampered with, it fails", async () => {
    const envelope = await sealPrivateJwk(KEK, "kid-1", JWK_IN);
    await expect(openPrivateJwk({ current: KEK }, "kid-2", envelope)).rejects.toThrow();
    const parts = envelope.split(".");
    const flipped = parts[3]!.startsWith("A") ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    await expect(
      openPrivateJwk({ current: KEK }, "kid-1", [...parts.slice(0, 3), flipped].join(".")),
    ).rejects.toThrow();
  });

  it("opens a v2 envelope with the previous key its id names, and fails loudly when neither key matches", async () => {
    const envelope = await sealPrivateJwk(KEK, "kid-1", JWK_IN);
    expect(await openPrivateJwk({ current: NEXT_KEK, previous: KEK }, "kid-1", envelope)).toEqual(JWK_IN);
    await expect(openPrivateJwk({ current: NEXT_KEK }, "kid-1", envelope)).rejects.toThrow(
      /neither KEY_ENCRYPTION_KEY nor KEY_ENCRYPTION_KEY_PREVIOUS/,
    );
  });

  it("still opens a v1 envelope, under the current key or else the previous one; it names no key id", async () => {
    const v1 = await sealV1(KEK, "kid-1", JWK_IN);
    expect(envelopeKeyId(v1)).toBeNull();
    expect(await openPrivateJwk({ current: KEK }, "kid-1", v1)).toEqual(JWK_IN);
    expect(await openPrivateJwk({ current: NEXT_KEK, previous: KEK }, "kid-1", v1)).toEqual(JWK_IN);
    await expect(openPrivateJwk({ current: NEXT_KEK }, "kid-1", v1)).rejects.toThrow();
    await expect(openPrivateJwk({ current: KEK }, "kid-2", v1)).rejects.toThrow();
  });

  it("refuses envelopes of an unknown version or shape", async () => {
    const [, id, iv, ct] = (await sealPrivateJwk(KEK, "kid-1", JWK_IN)).split(".");
    for (const bad of [`v3.${id}.${iv}.${ct}`, `v2.${iv}.${ct}`, `v1.${id}.${iv}.${ct}`, ""]) {
      await expect(openPrivateJwk({ current: KEK }, "kid-1", bad), bad).rejects.toThrow(
        /unknown key envelope for kid-1/,
      );
    }
  });

  it("seals a generated signing key whose kid is its thumbprint; the opened key signs what the public key verifies", async () => {
    const generated = await generateSigningKey("ES256");
    expect(generated.publicJwk).toMatchObject({ kid: generated.kid, alg: "ES256", use: "sig" });
    expect(generated.publicJwk).not.toHaveProperty("d");
    const key = await openPrivateKey(
      { current: KEK },
      generated.kid,
      "ES256",
      await sealPrivateJwk(KEK, generated.kid, generated.privateJwk),
    );
    const jwt = await new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "ES256", kid: generated.kid }).sign(key);
    expect((await jwtVerify(jwt, generated.publicJwk)).payload.sub).toBe("x");
  });
});

function flips(value: string, from: number): string[] {
  return Array.from({ length: value.length - from }, (_, i) => {
    const at = from + i;
    const swapped = value[at] === "A" ? "B" : "A";
    return value.slice(0, at) + swapped + value.slice(at + 1);
  });
}

describe("client secrets and setup codes", () => {
  const SECRET = "lks_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAd_eIHd";
  const SECRET_ALPHABET = "lks_0123456789abcdefghijklmnopqrstuvwxyzABCDE-_F3nsRB";
  const CODE = "lksc_BBBBBBBBBBBBBBBBBBBBBBKokRn4";

  it("accepts fixed vectors with their checksum", async () => {
    expect(await isWellFormedSecret(SECRET)).toBe(true);
    expect(await isWellFormedSecret(SECRET_ALPHABET)).toBe(true);
    expect(await isWellFormedSetupCode(CODE)).toBe(true);
  });

  it("mints secrets as lks_ + 43 + 6 base64url characters that check", async () => {
    const [one, two] = [await newClientSecret(), await newClientSecret()];
    expect(one).toMatch(/^lks_[A-Za-z0-9_-]{49}$/);
    expect(one).toHaveLength(53);
    expect(one).not.toBe(two);
    expect(await isWellFormedSecret(one)).toBe(true);
    expect(await isWellFormedSetupCode(one)).toBe(false);
  });

  it("mints setup codes as lksc_ + 22 + 6 base64url characters that check", async () => {
    const code = await newSetupCode();
    expect(code).toMatch(/^lksc_[A-Za-z0-9_-]{28}$/);
    expect(code).toHaveLength(33);
    expect(await isWellFormedSetupCode(code)).toBe(true);
    expect(await isWellFormedSecret(code)).toBe(false);
  });

  it("refuses any single flipped character, in the body or the checksum", async () => {
    for (const bad of flips(SECRET, 4)) expect(await isWellFormedSecret(bad), bad).toBe(false);
    for (const bad of flips(CODE, 5)) expect(await isWellFormedSetupCode(bad), bad).toBe(false);
  });

  it.each([
    ["another prefix", `lkx_${SECRET.slice(4)}`],
    ["a character outside the alphabet", `${SECRET.slice(0, 10)}+${SECRET.slice(11)}`],
    ["one character short", SECRET.slice(0, -1)],
    ["one character long", `${SECRET}A`],
    ["empty", ""],
  ])("refuses a secret with %s", async (_name, value) => {
    expect(await isWellFormedSecret(value)).toBe(false);
  });
});

describe("keyedHash and digestsEqual", () => {
  const PEPPER = "dGVzdC1wZXBwZXItdGVzdC1wZXBwZXItdGVzdC1wZXA";
  const OTHER_PEPPER = "b3RoZXItcGVwcGVyLW90aGVyLXBlcHBlci1vdGhlcg";

  it("is HMAC-SHA256 under the pepper, base64url: deterministic per pepper, different across peppers", async () => {
    expect(await keyedHash(PEPPER, "lks_example")).toBe("vvD-0lyUcGgSfgveQmsAMrw1lcCDII0cMYZSz_R1Z_o");
    expect(await keyedHash(PEPPER, "lks_example")).toBe("vvD-0lyUcGgSfgveQmsAMrw1lcCDII0cMYZSz_R1Z_o");
    expect(await keyedHash(OTHER_PEPPER, "lks_example")).toBe("lsVaKWTYolrUd_gkiwOMrxUAGbIUuj8stsYZSJdvRQk");
  });

  it("compares digests exactly", () => {
    const digest = "vvD-0lyUcGgSfgveQmsAMrw1lcCDII0cMYZSz_R1Z_o";
    expect(digestsEqual(digest, digest)).toBe(true);
    expect(digestsEqual(digest, `${digest.slice(0, -1)}p`)).toBe(false);
    expect(digestsEqual(digest, digest.slice(0, -1))).toBe(false);
    expect(digestsEqual(digest, "lsVaKWTYolrUd_gkiwOMrxUAGbIUuj8stsYZSJdvRQk")).toBe(false);
  });
});
