/**
 * What the hot-path optimisations of issue 13 must keep: usage of several credentials written by one flush
 * (times only forward, counts only added), the checksum's refusal of a corrupted secret for a client already
 * in the isolate cache (same status, body and logged reason as for an uncached one), the hand-off of
 * usage within one window when an isolate serves many credentials, and access tokens signed by the hand-built
 * compact JWS (crypto/compact-jws.ts) that jose's jwtVerify accepts, with exactly the header jose would write.
 */
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { SigningAlg } from "../../src/crypto/algorithms";
import { signAccessToken, verifyAccessToken } from "../../src/crypto/access-token";
import { generateSigningKey } from "../../src/crypto/signing-keys";
import { buildAccessTokenClaims } from "../../src/domain/token-claims";
import { setLogSink } from "../../src/log";
import { MANAGEMENT_RESOURCE } from "../../src/domain/management";
import { setUsageFlushWindow } from "../../src/services/usage-recorder";
import { primaryDb } from "../../src/storage/db";
import { recordCredentialUsages, recordSecretUsages } from "../../src/storage/usage";
import { expectInvalidClient } from "../support/wire";
import { env, freshIp, setupTenant, tokenRequest, type TestTenant } from "../support/harness";

let t: TestTenant;

beforeAll(async () => {
  t = await setupTenant("hot-path");
});

afterEach(() => {
  setLogSink();
  setUsageFlushWindow();
});

type View = { mint_count: number; last_used_at: string | null; secrets: { id: string; last_used_at: string | null }[] };

async function newCredential() {
  const res = await t.admin("POST", "/credentials", {
    label: `hot-${crypto.randomUUID().slice(0, 8)}`,
    grants: [{ resource: MANAGEMENT_RESOURCE, scopes: ["credentials:read"] }],
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { client_id: string; client_secret: string; secrets: { id: string }[] };
  return { id: body.client_id, secret: body.client_secret, secretId: body.secrets[0]!.id };
}

const view = async (id: string) => (await (await t.admin("GET", `/credentials/${id}`)).json()) as View;

describe("usage written many rows per statement", () => {
  it("adds counts and moves last-used times forward only, for every credential and secret in one flush", async () => {
    const [a, b] = [await newCredential(), await newCredential()];
    const db = primaryDb(env.DB);
    await env.DB.batch([
      recordCredentialUsages(db, [
        { id: a.id, at: 2_000_000_000_000, count: 3 },
        { id: b.id, at: 2_000_000_000_500, count: 1 },
      ]),
      recordSecretUsages(db, [{ id: a.secretId, at: 2_000_000_000_000 }]),
    ]);
    await env.DB.batch([
      recordCredentialUsages(db, [{ id: a.id, at: 1_000_000_000_000, count: 2 }]),
      recordSecretUsages(db, [{ id: a.secretId, at: 1_000_000_000_000 }]),
    ]);
    const [va, vb] = [await view(a.id), await view(b.id)];
    expect(va.mint_count).toBe(5);
    expect(va.last_used_at).toBe(new Date(2_000_000_000_000).toISOString());
    expect(va.secrets[0]!.last_used_at).toBe(new Date(2_000_000_000_000).toISOString());
    expect(vb.mint_count).toBe(1);
    expect(vb.last_used_at).toBe(new Date(2_000_000_000_500).toISOString());
    expect(vb.secrets[0]!.last_used_at).toBeNull();
  });

  it("writes the usage of every credential an isolate minted for within one window", async () => {
    setUsageFlushWindow(1_000);
    const creds = [await newCredential(), await newCredential(), await newCredential()];
    for (const c of creds) {
      const mint = () =>
        tokenRequest(
          { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
          { basic: [c.id, c.secret], ip: freshIp() },
        );
      expect((await mint()).status).toBe(200);
      expect((await mint()).status).toBe(200);
    }
    await vi.waitFor(
      async () => {
        for (const c of creds) expect((await view(c.id)).mint_count).toBe(2);
      },
      { timeout: 5_000, interval: 50 },
    );
  });
});

describe("the secret's checksum on a cached client", () => {
  it("refuses a secret with a corrupted checksum like any malformed secret, and logs the same reason", async () => {
    const c = await newCredential();
    const ok = await tokenRequest(
      { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
      { basic: [c.id, c.secret], ip: freshIp() },
    );
    expect(ok.status).toBe(200);
    const last = c.secret.at(-1) === "A" ? "B" : "A";
    const corrupted = c.secret.slice(0, -1) + last;
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    const res = await tokenRequest(
      { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
      { basic: [c.id, corrupted], ip: freshIp() },
    );
    await expectInvalidClient(res, { basicChallenge: true, forbid: corrupted });
    const reasons = lines.map((l) => JSON.parse(l) as { event: string; reason?: string });
    expect(reasons.filter((e) => e.event === "oauth_error").map((e) => e.reason)).toEqual(["malformed id or secret"]);
  });
});

describe("access tokens signed by the hand-built compact JWS", () => {
  const claims = buildAccessTokenClaims({
    issuer: "https://latchkey.test",
    clientId: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
    label: "jws-check",
    tenantId: "hot-path",
    groups: ["payments", "ünïcode"],
    resource: "https://api.example/orders",
    scopes: ["orders:read"],
    lifetimeSeconds: 600,
    jti: "jti-1",
    authenticatorId: "sec_1",
    nowMs: Date.now(),
  });

  for (const alg of ["ES256", "EdDSA", "RS256"] as SigningAlg[]) {
    it(`verifies with jose's jwtVerify for ${alg}, header {alg, kid, typ} only`, async () => {
      const key = await generateSigningKey(alg);
      const signer = { kid: key.kid, alg, key: (await importJWK(key.privateJwk, alg)) as CryptoKey };
      const token = await signAccessToken(claims, signer);
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: key.kid, typ: "at+jwt" });
      const publicKey = (await importJWK(key.publicJwk, alg)) as CryptoKey;
      const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
        algorithms: [alg],
        typ: "at+jwt",
        issuer: claims.iss,
        audience: claims.aud,
      });
      expect(payload).toEqual(claims);
      expect(protectedHeader).toEqual({ alg, kid: key.kid, typ: "at+jwt" });
      const verifiers = new Map([[key.kid, { kid: key.kid, alg, key: publicKey }]]);
      expect(await verifyAccessToken(token, verifiers, { issuer: claims.iss, audience: claims.aud })).toEqual(claims);
    });
  }

  it("names the key that signed when the ring moves to another key (the header cache is per key)", async () => {
    const [first, second] = [await generateSigningKey("ES256"), await generateSigningKey("ES256")];
    for (const key of [first, second, first]) {
      const signer = { kid: key.kid, alg: "ES256", key: (await importJWK(key.privateJwk, "ES256")) as CryptoKey };
      const token = await signAccessToken(claims, signer);
      expect(decodeProtectedHeader(token).kid).toBe(key.kid);
      await expect(jwtVerify(token, (await importJWK(key.publicJwk, "ES256")) as CryptoKey)).resolves.toBeTruthy();
    }
  });
});
