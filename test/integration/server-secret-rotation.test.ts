/**
 * Rotating the server's own secrets, through the real Worker and cron with constructed env objects (the
 * pool's bindings are fixed; getConfig caches by value, so an env with other values is parsed afresh):
 * KEY_ENCRYPTION_KEY with a previous key while the cron reseals, SECRET_PEPPER with a previous pepper until
 * each secret's next use renews its hash, and the first signing key of a fresh database under concurrency.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { getConfig, type Env } from "../../src/config";
import { randomToken } from "../../src/crypto/encoding";
import { keyId } from "../../src/crypto/key-id";
import { keyedHash } from "../../src/crypto/secrets";
import { generateSigningKey, sealPrivateJwk } from "../../src/crypto/signing-keys";
import { forgetCredential } from "../../src/services/isolate-caches";
import { newSession, resolveSession } from "../../src/services/sessions";
import { ensureFirstKey, forgetKeyRing, keyRing } from "../../src/services/signing-key-ring";
import { primaryDb } from "../../src/storage/db";
import { insertSession } from "../../src/storage/sessions";
import { insertSigningKey } from "../../src/storage/signing-keys";
import {
  encodeForm,
  env,
  freshIp,
  ISSUER,
  realmPath,
  setupTenant,
  testContext,
  type TestTenant,
} from "../support/harness";
import { expectInvalidClient } from "../support/wire";

const OLD_PEPPER = env.SECRET_PEPPER;
const OLD_KEK = env.KEY_ENCRYPTION_KEY;
let t: TestTenant;

/** The Worker's bindings with some values replaced, as a redeployed Worker would see them. */
function withEnv(overrides: Partial<Env>): Env {
  return Object.assign(Object.create(null), env, overrides) as Env;
}

/**
 * A client_secret_basic mint of `who`'s management credential at its tenant's token endpoint (docs/realms.md),
 * served by the real Worker under `e`; background work is left to run.
 */
function mint(e: Env, who: Pick<TestTenant, "tenantId" | "adminClientId" | "adminSecret">): Promise<Response> {
  const [clientId, secret] = [who.adminClientId, who.adminSecret];
  const request = new Request(`${ISSUER}${realmPath(who.tenantId)}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${encodeForm(clientId)}:${encodeForm(secret)}`)}`,
      "cf-connecting-ip": freshIp(),
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: "urn:latchkey:management" }).toString(),
  });
  return Promise.resolve(worker.fetch(request, e, createExecutionContext()));
}

async function mintedKid(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  return decodeProtectedHeader(((await res.json()) as { access_token: string }).access_token).kid!;
}

async function runCron(e: Env) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }), e, ctx);
  await waitOnExecutionContext(ctx);
}

/** The signing keys' envelopes: of every ring, or of `tenantId`'s ring. */
const envelopes = async (tenantId?: string) =>
  (
    await env.DB.prepare(
      `select kid, private_jwk_envelope as envelope from signing_keys${tenantId ? " where tenant_id = ?" : ""} order by kid`,
    )
      .bind(...(tenantId ? [tenantId] : []))
      .all<{
        kid: string;
        envelope: string;
      }>()
  ).results;

const secretRow = (clientId: string) =>
  env.DB.prepare("select secret_hash, pepper_id from credential_secrets where credential_id = ?")
    .bind(clientId)
    .first<{ secret_hash: string; pepper_id: string | null }>();

describe("first signing key", () => {
  it("on an empty table, concurrent first-key creations leave one current key and every caller signs with it", async () => {
    await env.DB.prepare("delete from signing_keys").run();
    const now = Date.now();
    // Two isolates: each has no cached ring and loads one at once.
    forgetKeyRing();
    const first = keyRing(testContext(env), now);
    forgetKeyRing();
    const second = keyRing(testContext(env), now);
    const [a, b] = await Promise.all([first, second]);
    expect(a.signer.kid).toBe(b.signer.kid);
    expect((await envelopes()).map((r) => r.kid)).toEqual([a.signer.kid]);

    await env.DB.prepare("delete from signing_keys").run();
    const [x, y, z] = await Promise.all([
      ensureFirstKey(testContext(env), now),
      ensureFirstKey(testContext(env), now),
      ensureFirstKey(testContext(env), now),
    ]);
    expect([x, y, z].filter((r) => r.created !== undefined)).toHaveLength(1);
    const rows = await envelopes();
    expect(rows).toHaveLength(1);
    for (const r of [x, y, z]) expect(r.rows.map((row) => row.kid)).toEqual([rows[0]!.kid]);
    forgetKeyRing();
  });
});

describe("configuration of previous secrets", () => {
  it("fails loudly on a malformed previous secret; an empty one is absent, one equal to the current is harmless", () => {
    expect(() => getConfig(withEnv({ SECRET_PEPPER_PREVIOUS: "short" }))).toThrow(
      /secretPepperPrevious: must be 32 random bytes/,
    );
    expect(() => getConfig(withEnv({ KEY_ENCRYPTION_KEY_PREVIOUS: "not base64url!".padEnd(43, "x") }))).toThrow(
      /keyEncryptionKeyPrevious: must be 32 random bytes/,
    );
    expect(getConfig(withEnv({ SECRET_PEPPER_PREVIOUS: "" })).secretPepperPrevious).toBeUndefined();
    // The first step of a rotation (previous set to the value current still has) must not take the Worker down.
    expect(getConfig(withEnv({ KEY_ENCRYPTION_KEY_PREVIOUS: OLD_KEK })).keyEncryptionKeyPrevious).toBe(OLD_KEK);
  });
});

describe("KEY_ENCRYPTION_KEY rotation", () => {
  beforeAll(async () => {
    t = await setupTenant("rotation-tests");
  });

  it("keeps minting with keys sealed under the previous key, and the cron reseals them so the previous key can go", async () => {
    const newKek = randomToken(32);
    const rotated = withEnv({ KEY_ENCRYPTION_KEY: newKek, KEY_ENCRYPTION_KEY_PREVIOUS: OLD_KEK });
    const newOnly = withEnv({ KEY_ENCRYPTION_KEY: newKek });
    // The tenant's own ring (docs/realms.md): its first key was made by setupTenant's mint.
    const ring = await envelopes(t.tenantId);
    expect(ring).toHaveLength(1);
    const [current] = ring;
    expect(current!.envelope.startsWith(`v2.${await keyId(OLD_KEK)}.`)).toBe(true);
    // A pending key in the envelope made before key ids (v1: no id), also under the old key.
    const pending = await generateSigningKey("ES256");
    const [, , iv, ciphertext] = (await sealPrivateJwk(OLD_KEK, pending.kid, pending.privateJwk)).split(".");
    const now = Date.now();
    await insertSigningKey(primaryDb(env.DB), {
      kid: pending.kid,
      tenantId: t.tenantId,
      alg: "ES256",
      publicJwk: pending.publicJwk,
      privateJwkEnvelope: `v1.${iv}.${ciphertext}`,
      createdAt: now,
      activatesAt: now + 86_400_000,
      retiredAt: null,
    });

    forgetKeyRing();
    expect(await mintedKid(await mint(rotated, t))).toBe(current!.kid);
    forgetKeyRing();
    await expect(keyRing({ ...testContext(newOnly), realm: t.tenantId })).rejects.toThrow(
      /neither KEY_ENCRYPTION_KEY nor KEY_ENCRYPTION_KEY_PREVIOUS/,
    );

    await runCron(rotated);
    const resealed = await envelopes(t.tenantId);
    expect(resealed.map((r) => r.kid).sort()).toEqual([current!.kid, pending.kid].sort());
    // The cron reseals every tenant's ring, not only this one.
    for (const row of await envelopes()) expect(row.envelope).toMatch(new RegExp(`^v2\\.${await keyId(newKek)}\\.`));

    forgetKeyRing();
    expect(await mintedKid(await mint(newOnly, t))).toBe(current!.kid);
    forgetKeyRing();
    await expect(keyRing({ ...testContext(withEnv({})), realm: t.tenantId })).rejects.toThrow(
      /neither KEY_ENCRYPTION_KEY/,
    );

    // Rotating back works the same way (and leaves the other tests with the pool's key).
    await runCron(withEnv({ KEY_ENCRYPTION_KEY_PREVIOUS: newKek }));
    forgetKeyRing();
    expect(await mintedKid(await mint(withEnv({}), t))).toBe(current!.kid);
  });
});

describe("SECRET_PEPPER rotation", () => {
  it("accepts a secret hashed under the previous pepper, renews its hash in the background, then needs no previous pepper", async () => {
    const newPepper = randomToken(32);
    const rotated = withEnv({ SECRET_PEPPER: newPepper, SECRET_PEPPER_PREVIOUS: OLD_PEPPER });
    const newOnly = withEnv({ SECRET_PEPPER: newPepper });
    const before = await secretRow(t.adminClientId);
    expect(before).toEqual({
      secret_hash: await keyedHash(OLD_PEPPER, t.adminSecret),
      pepper_id: await keyId(OLD_PEPPER),
    });

    await expectInvalidClient(await mint(newOnly, t), { basicChallenge: true });
    expect((await mint(rotated, t)).status).toBe(200);
    const renewed = { secret_hash: await keyedHash(newPepper, t.adminSecret), pepper_id: await keyId(newPepper) };
    await vi.waitFor(async () => expect(await secretRow(t.adminClientId)).toEqual(renewed), {
      timeout: 3_000,
      interval: 20,
    });

    expect((await mint(newOnly, t)).status).toBe(200);
    await expectInvalidClient(await mint(withEnv({}), t), { basicChallenge: true });
  });

  it("labels a hash stored before pepper ids with the current pepper's id on its next use", async () => {
    const legacy = await setupTenant("rotation-legacy");
    await env.DB.prepare("update credential_secrets set pepper_id = null where credential_id = ?")
      .bind(legacy.adminClientId)
      .run();
    forgetCredential(legacy.adminClientId);
    const current = withEnv({});
    expect((await mint(current, legacy)).status).toBe(200);
    await vi.waitFor(
      async () => expect((await secretRow(legacy.adminClientId))?.pepper_id).toBe(await keyId(OLD_PEPPER)),
      { timeout: 3_000, interval: 20 },
    );
  });

  it("keeps console sessions made under the previous pepper while it is configured", async () => {
    const legacy = await setupTenant("rotation-sessions");
    const user = { id: "usr_rotation", tenantId: legacy.tenantId };
    await env.DB.prepare(
      "insert into users (id, tenant_id, email, name, role, created_at, created_by) values (?, ?, ?, ?, 'viewer', ?, 'test')",
    )
      .bind(user.id, user.tenantId, "rotation@example.test", "Rotation", Date.now())
      .run();
    const { row, token } = await newSession(testContext(), user, null, null, Date.now());
    await insertSession(primaryDb(env.DB), row).run();
    const newPepper = randomToken(32);
    expect(
      (
        await resolveSession(
          testContext(withEnv({ SECRET_PEPPER: newPepper, SECRET_PEPPER_PREVIOUS: OLD_PEPPER })),
          token,
          Date.now(),
        )
      )?.session.id,
    ).toBe(row.id);
    expect(await resolveSession(testContext(withEnv({ SECRET_PEPPER: newPepper })), token, Date.now())).toBeNull();
  });
});
