/**
 * Setup codes through the real Worker (D1, KV and Durable Objects in workerd): a credential created with
 * delivery "setup_code" has no secret and mints nothing until its code is redeemed; both redemption modes
 * end in a credential that mints; the claim shows in the credential view and the audit log; unknown,
 * expired, used and cancelled codes fail with one identical body; 50 concurrent redemptions of a code
 * (over 10 codes) give exactly one success; replays are audited; attempts are rate limited per IP.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { newSetupCode } from "../../src/crypto/secrets";
import { env, freshIp, ISSUER, setupTenant, tokenRequest, type TestTenant } from "../support/harness";
import {
  INVALID_CLIENT,
  INVALID_SETUP_CODE,
  JWT_BEARER,
  newClientKey,
  redeem,
  signAssertion,
  uniqueIp,
} from "../support/client-keys";
import { expectProblem } from "../support/wire";

const API = "https://api.example.com/builds";
let t: TestTenant;

interface SetupCodeView {
  code: string;
  expires_at: string;
  command: string;
  mode?: string;
}
interface CredentialView {
  id: string;
  label: string;
  status: string;
  secrets: { id: string; status: string; expires_at: string | null }[];
  keys: {
    id: string;
    thumbprint: string;
    alg: string;
    status: string;
    created_at: string;
    last_used_at: string | null;
    expires_at: string | null;
    retired_at: string | null;
  }[];
  setup: Record<string, unknown>;
}

async function createWithCode(mode: "key" | "secret" = "secret", label = `build-${crypto.randomUUID().slice(0, 8)}`) {
  const res = await t.admin("POST", "/credentials", {
    label,
    grants: [{ resource: API, scopes: ["builds:read"] }],
    delivery: "setup_code",
    mode,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as CredentialView & { setup_code: SetupCodeView };
}

async function view(id: string): Promise<CredentialView> {
  const res = await t.admin("GET", `/credentials/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as CredentialView;
}

async function auditEvents(query: string) {
  const res = await t.admin("GET", `/audit?${query}`);
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      events: {
        action: string;
        actor: string;
        ip: string | null;
        target_id: string;
        detail: Record<string, unknown>;
      }[];
    }
  ).events;
}

/** Unknown, expired, used and cancelled codes: one identical body. */
const expectInvalidCode = (res: Response) =>
  expectProblem(res, 400, "invalid_setup_code", { body: INVALID_SETUP_CODE });

function mintWithSecret(clientId: string, secret: string) {
  return tokenRequest({ grant_type: "client_credentials" }, { basic: [clientId, secret], ip: freshIp() });
}

beforeAll(async () => {
  t = await setupTenant("default");
  const res = await t.admin("POST", "/resources", { uri: API, name: "Builds", scopes: [{ name: "builds:read" }] });
  expect(res.status).toBe(201);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("creating a credential with a setup code", () => {
  it("returns the code once, with no secret, and the credential mints nothing before redemption", async () => {
    const before = Date.now();
    const res = await t.admin("POST", "/credentials", {
      label: "build-agent",
      grants: [{ resource: API, scopes: ["builds:read"] }],
      delivery: "setup_code",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as CredentialView & { setup_code: SetupCodeView; client_secret?: string };
    expect(res.headers.get("location")).toBe(`/api/v1/credentials/${body.id}`);
    expect(body.client_secret).toBeUndefined();
    expect(body.secrets).toEqual([]);
    expect(body.keys).toEqual([]);
    expect(body.setup_code.code).toMatch(/^lksc_[A-Za-z0-9_-]{28}$/);
    expect(body.setup_code.command).toBe(`npx latchkey setup ${ISSUER} ${body.setup_code.code}`);
    const expiresAt = Date.parse(body.setup_code.expires_at);
    expect(expiresAt - before).toBeGreaterThanOrEqual(600_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(600_000);
    expect(body.setup).toEqual({
      status: "pending",
      expires_at: body.setup_code.expires_at,
      claimed_at: null,
      claimed_ip: null,
      claimed_hostname: null,
      key_thumbprint: null,
      mode: "key",
    });
    expect(body.setup_code.mode).toBe("key");
    expect((await view(body.id)).setup).toEqual(body.setup);

    // Nothing authenticates it yet: not a guessed secret, not a key of the caller's choosing.
    const guessed = await mintWithSecret(body.id, (await newSetupCode()).replace("lksc_", "lks_"));
    expect(guessed.status).toBe(401);
    expect(await guessed.json()).toEqual(INVALID_CLIENT);
    const key = await newClientKey();
    const asserted = await tokenRequest(
      {
        grant_type: "client_credentials",
        client_assertion_type: JWT_BEARER,
        client_assertion: await signAssertion(key, body.id),
      },
      { ip: freshIp() },
    );
    expect(asserted.status).toBe(401);
    expect(await asserted.json()).toEqual(INVALID_CLIENT);

    const created = await auditEvents(`action=credential.create&target=${body.id}`);
    expect(created[0]?.detail).toMatchObject({ delivery: "setup_code", mode: "key" });
    expect(JSON.stringify(created)).not.toContain(body.setup_code.code);
  });
});

describe("redeeming", () => {
  it("in secret mode: returns the secret once (no-store), the credential mints, the claim is shown and audited", async () => {
    const created = await createWithCode();
    const ip = uniqueIp();
    const res = await redeem({ code: created.setup_code.code, mode: "secret", hostname: "ci-runner-07" }, ip);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Record<string, string>;
    expect(body).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth/token`,
      client_id: created.id,
      name: `svc:${created.label}`,
      label: created.label,
      mode: "secret",
      client_secret: expect.stringMatching(/^lks_[A-Za-z0-9_-]{49}$/),
    });
    const minted = await mintWithSecret(created.id, body.client_secret as string);
    expect(minted.status).toBe(200);

    const after = await view(created.id);
    expect(after.secrets).toHaveLength(1);
    expect(after.secrets[0]).toMatchObject({ status: "active", expires_at: null });
    expect(after.setup).toEqual({
      status: "claimed",
      expires_at: created.setup_code.expires_at,
      claimed_at: expect.any(String),
      claimed_ip: ip,
      claimed_hostname: "ci-runner-07",
      key_thumbprint: null,
      mode: "secret",
    });
    const [claim] = await auditEvents(`action=credential.claim&target=${created.id}`);
    expect(claim).toMatchObject({
      action: "credential.claim",
      actor: `svc:${created.label}`,
      ip,
      target_id: created.id,
    });
    expect(claim?.detail).toMatchObject({
      mode: "secret",
      hostname: "ci-runner-07",
      key_thumbprint: null,
      provisioned: after.secrets[0]?.id,
    });
    expect(JSON.stringify(claim)).not.toContain(created.setup_code.code);
    expect(JSON.stringify(claim)).not.toContain(body.client_secret);
  });

  it("in key mode (ES256 and EdDSA): registers the public key, answers its thumbprint as key_id, and the key mints", async () => {
    for (const alg of ["ES256", "EdDSA"] as const) {
      const created = await createWithCode("key");
      const key = await newClientKey(alg);
      const ip = uniqueIp();
      const res = await redeem(
        {
          code: created.setup_code.code,
          mode: "key",
          public_jwk: { ...key.publicJwk, use: "sig" },
          hostname: "db-backup",
        },
        ip,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.json()).toEqual({
        issuer: ISSUER,
        token_endpoint: `${ISSUER}/oauth/token`,
        client_id: created.id,
        name: `svc:${created.label}`,
        label: created.label,
        mode: "key",
        key_id: key.thumbprint,
      });
      const minted = await tokenRequest(
        {
          grant_type: "client_credentials",
          client_id: created.id,
          client_assertion_type: JWT_BEARER,
          client_assertion: await signAssertion(key, created.id),
        },
        { ip: freshIp() },
      );
      expect(minted.status).toBe(200);

      const after = await view(created.id);
      expect(after.secrets).toEqual([]);
      expect(after.keys).toEqual([
        {
          id: expect.stringMatching(/^key_/),
          thumbprint: key.thumbprint,
          alg,
          status: "active",
          created_at: expect.any(String),
          last_used_at: expect.any(String),
          expires_at: null,
          retired_at: null,
        },
      ]);
      expect(after.setup).toMatchObject({
        status: "claimed",
        claimed_ip: ip,
        claimed_hostname: "db-backup",
        key_thumbprint: key.thumbprint,
        mode: "key",
      });
      const [claim] = await auditEvents(`action=credential.claim&target=${created.id}`);
      expect(claim).toMatchObject({
        ip,
        detail: { mode: "key", hostname: "db-backup", key_thumbprint: key.thumbprint },
      });
    }
  });

  it("answers unknown, malformed, used, expired and cancelled codes with one identical body, and audits the replay", async () => {
    await expectInvalidCode(await redeem({ code: await newSetupCode(), mode: "secret" }));
    const typo = `${(await newSetupCode()).slice(0, -1)}A`;
    await expectInvalidCode(await redeem({ code: typo, mode: "secret" }));
    await expectInvalidCode(await redeem({ code: "not-a-code", mode: "secret" }));

    const used = await createWithCode();
    expect((await redeem({ code: used.setup_code.code, mode: "secret" })).status).toBe(200);
    const replayIp = uniqueIp();
    await expectInvalidCode(
      await redeem({ code: used.setup_code.code, mode: "secret", hostname: "attacker" }, replayIp),
    );
    const [replay] = await auditEvents(`action=setup_code.replay&target=${used.id}`);
    expect(replay).toMatchObject({
      action: "setup_code.replay",
      actor: "anonymous",
      ip: replayIp,
      target_id: used.id,
      detail: { hostname: "attacker" },
    });
    expect(JSON.stringify(replay)).not.toContain(used.setup_code.code);

    const expired = await createWithCode();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(expired.setup_code.expires_at));
    await expectInvalidCode(await redeem({ code: expired.setup_code.code, mode: "secret" }));
    expect((await view(expired.id)).setup).toMatchObject({ status: "expired", claimed_at: null });
    vi.useRealTimers();

    // A newer code cancels the older one.
    const replaced = await createWithCode();
    const fresh = await t.admin("POST", `/credentials/${replaced.id}/setup-codes`, { mode: "secret" });
    expect(fresh.status).toBe(201);
    const freshBody = (await fresh.json()) as { setup_code: SetupCodeView; credential: CredentialView };
    expect(freshBody.setup_code.code).not.toBe(replaced.setup_code.code);
    expect(freshBody.credential.setup).toMatchObject({
      status: "pending",
      expires_at: freshBody.setup_code.expires_at,
    });
    await expectInvalidCode(await redeem({ code: replaced.setup_code.code, mode: "secret" }));
    expect((await redeem({ code: freshBody.setup_code.code, mode: "secret" })).status).toBe(200);
  });

  it("refuses a revoked credential's pending code, and revocation shows the code as no longer pending", async () => {
    const created = await createWithCode();
    const revoked = await t.admin("POST", `/credentials/${created.id}/revoke`, { confirm_label: created.label });
    expect(revoked.status).toBe(200);
    await expectInvalidCode(await redeem({ code: created.setup_code.code, mode: "secret" }));
    const after = await view(created.id);
    expect(after.status).toBe("revoked");
    expect(after.setup).toMatchObject({ status: "expired", claimed_at: null });
    expect(after.secrets).toEqual([]);
    const refused = await t.admin("POST", `/credentials/${created.id}/setup-codes`, {});
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      code: "conflict",
      detail: "Only an active credential can get a setup code.",
    });
    const [event] = await auditEvents(`action=credential.revoke&target=${created.id}`);
    expect(event?.detail).toMatchObject({ cancelled_setup_codes: 1 });
  });

  it("rejects bad bodies with invalid_request and leaves the code unconsumed", async () => {
    const created = await createWithCode("key");
    const code = created.setup_code.code;
    const key = await newClientKey();
    const rsa = { kty: "RSA", n: "AQAB".repeat(64), e: "AQAB" };
    const bad: unknown[] = [
      { code },
      { code, mode: "both" },
      { code, mode: "key" },
      { code, mode: "secret", public_jwk: key.publicJwk },
      { code, mode: "key", public_jwk: { ...key.publicJwk, d: "x".repeat(43) } },
      { code, mode: "key", public_jwk: rsa },
      { code, mode: "key", public_jwk: { ...key.publicJwk, crv: "Ed25519" } },
      { code, mode: "key", public_jwk: { ...key.publicJwk, alg: "RS256" } },
      { code, mode: "key", public_jwk: { ...key.publicJwk, x: key.publicJwk.y } }, // not a point on the curve
      { code, mode: "secret", hostname: "line\nbreak" },
      { code, mode: "secret", hostname: "h".repeat(256) },
      { code, mode: "secret", extra: true },
      "{not json",
    ];
    for (const body of bad) {
      const res = await redeem(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({
        type: "https://latchkey.dev/problems/invalid_request",
        status: 400,
        code: "invalid_request",
        title: "Invalid request",
      });
    }
    const res = await redeem({ code, mode: "key", public_jwk: key.publicJwk, hostname: "h".repeat(255) });
    expect(res.status).toBe(200);
  });

  it("limits attempts per IP, malformed codes included (429 rate_limited with Retry-After)", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1)
      await expectInvalidCode(await redeem({ code: `lksc_junk${i}`, mode: "secret" }, ip));
    const limited = await redeem({ code: await newSetupCode(), mode: "secret" }, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(await limited.json()).toEqual({
      type: "https://latchkey.dev/problems/rate_limited",
      title: "Too many requests",
      status: 429,
      detail: "Retry later.",
      code: "rate_limited",
      retry_after: 60,
    });
    await expectInvalidCode(await redeem({ code: await newSetupCode(), mode: "secret" }, uniqueIp()));
  });
});

describe("concurrency", () => {
  it("gives exactly one success among 50 concurrent redemptions of a code, over 10 codes", async () => {
    for (let round = 0; round < 10; round += 1) {
      const created = await createWithCode();
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          redeem({ code: created.setup_code.code, mode: "secret", hostname: `racer-${i}` }, uniqueIp()),
        ),
      );
      const bodies = await Promise.all(
        responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
      );
      const winners = bodies.filter((b) => b.status === 200);
      const losers = bodies.filter((b) => b.status !== 200);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(49);
      for (const l of losers) expect(l).toEqual({ status: 400, body: INVALID_SETUP_CODE });
      const secret = winners[0]?.body.client_secret as string;
      expect((await mintWithSecret(created.id, secret)).status).toBe(200);
      const after = await view(created.id);
      expect(after.secrets).toHaveLength(1);
      expect(await auditEvents(`action=credential.claim&target=${created.id}`)).toHaveLength(1);
      expect(await auditEvents(`action=setup_code.replay&target=${created.id}`)).toHaveLength(49);
    }
  }, 120_000);
});

describe("re-provisioning an existing credential", () => {
  it("adds a secret next to the live ones; past two, the oldest live one gets the 24 h rotation grace", async () => {
    const created = await createWithCode();
    const first = (await (await redeem({ code: created.setup_code.code, mode: "secret" })).json()) as {
      client_secret: string;
    };
    const codes: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const res = await t.admin("POST", `/credentials/${created.id}/setup-codes`, { mode: "secret" });
      expect(res.status).toBe(201);
      const code = ((await res.json()) as { setup_code: SetupCodeView }).setup_code.code;
      const redeemed = await redeem({ code, mode: "secret" });
      expect(redeemed.status).toBe(200);
      codes.push(((await redeemed.json()) as { client_secret: string }).client_secret);
      await new Promise((r) => setTimeout(r, 5));
    }
    const after = await view(created.id);
    expect(after.secrets.map((s) => s.status)).toEqual(["active", "active", "active"]);
    // Newest first: the two newest have no end; the oldest ends after the default grace.
    expect(after.secrets[0]?.expires_at).toBeNull();
    expect(after.secrets[1]?.expires_at).toBeNull();
    const graceEnds = Date.parse(after.secrets[2]?.expires_at ?? "");
    expect(graceEnds - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect(graceEnds - Date.now()).toBeLessThanOrEqual(86_400_000);
    for (const secret of [first.client_secret, ...codes])
      expect((await mintWithSecret(created.id, secret)).status).toBe(200);
  }, 30_000);
});

describe("recovery", () => {
  it("releases the code when the D1 batch after the consume fails: nothing half-made, and the same code works on retry", async () => {
    const created = await createWithCode();
    // A real D1 failure, injected with a trigger on the claim update (the batch's first statement).
    const trigger = `fail_claim_${created.id.replace(/[^A-Za-z0-9]/g, "_")}`;
    await env.DB.exec(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON setup_codes WHEN NEW.credential_id = '${created.id}' AND NEW.status = 'claimed' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;`,
    );
    const failed = await redeem({ code: created.setup_code.code, mode: "secret" });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({
      type: "https://latchkey.dev/problems/temporarily_unavailable",
      title: "Service unavailable",
      status: 503,
      detail: "The setup could not be completed. Retry with the same code.",
      code: "temporarily_unavailable",
    });
    const between = await view(created.id);
    expect(between.secrets).toEqual([]);
    expect(between.setup).toMatchObject({ status: "pending", claimed_at: null });
    expect(await auditEvents(`action=credential.claim&target=${created.id}`)).toEqual([]);

    await env.DB.exec(`DROP TRIGGER ${trigger};`);
    const retried = await redeem({ code: created.setup_code.code, mode: "secret" });
    expect(retried.status).toBe(200);
    const secret = ((await retried.json()) as { client_secret: string }).client_secret;
    expect((await mintWithSecret(created.id, secret)).status).toBe(200);
    expect((await view(created.id)).secrets).toHaveLength(1);
  });

  it("refuses a public key the credential already holds (409) and keeps the code for another key", async () => {
    const created = await createWithCode("key");
    const key = await newClientKey();
    expect((await redeem({ code: created.setup_code.code, mode: "key", public_jwk: key.publicJwk })).status).toBe(200);
    const again = await t.admin("POST", `/credentials/${created.id}/setup-codes`, {});
    const code = ((await again.json()) as { setup_code: SetupCodeView }).setup_code.code;
    const dup = await redeem({ code, mode: "key", public_jwk: key.publicJwk });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({
      code: "conflict",
      detail: "This public key is already registered for this credential. Generate a new key pair.",
    });
    const other = await newClientKey("EdDSA");
    expect((await redeem({ code, mode: "key", public_jwk: other.publicJwk })).status).toBe(200);
    expect((await view(created.id)).keys.map((k) => k.thumbprint)).toEqual([other.thumbprint, key.thumbprint]);
  });
});

describe("delivery mode", () => {
  const mismatch = (expected: "key" | "secret") => ({
    type: "https://latchkey.dev/problems/setup_mode_mismatch",
    title: "Wrong setup mode",
    status: 400,
    detail: `This setup code was issued for ${expected} delivery; redeem it in ${expected} mode.`,
    code: "setup_mode_mismatch",
    expected_mode: expected,
  });

  it("is key unless the admin asks for secret; another mode is refused (400) without consuming the code", async () => {
    const res = await t.admin("POST", "/credentials", {
      label: `mode-${crypto.randomUUID().slice(0, 8)}`,
      grants: [{ resource: API, scopes: ["builds:read"] }],
      delivery: "setup_code",
    });
    const created = (await res.json()) as CredentialView & { setup_code: SetupCodeView & { mode: string } };
    expect(created.setup_code.mode).toBe("key");
    expect(created.setup_code.command).toBe(`npx latchkey setup ${ISSUER} ${created.setup_code.code}`);
    const wrong = await redeem({ code: created.setup_code.code, mode: "secret" });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get("content-type")).toBe("application/problem+json");
    expect(await wrong.json()).toEqual(mismatch("key"));
    expect((await view(created.id)).secrets).toEqual([]);
    const key = await newClientKey();
    expect((await redeem({ code: created.setup_code.code, mode: "key", public_jwk: key.publicJwk })).status).toBe(200);
    // A used code says nothing about its mode.
    await expectInvalidCode(await redeem({ code: created.setup_code.code, mode: "secret" }));

    const issued = await t.admin("POST", `/credentials/${created.id}/setup-codes`, { mode: "secret" });
    expect(issued.status).toBe(201);
    const body = (await issued.json()) as { setup_code: SetupCodeView & { mode: string }; credential: CredentialView };
    expect(body.setup_code.mode).toBe("secret");
    expect(body.setup_code.command).toBe(`npx latchkey setup --secret ${ISSUER} ${body.setup_code.code}`);
    expect(body.credential.setup).toMatchObject({ status: "pending", mode: "secret" });
    const other = await newClientKey();
    const wrongKey = await redeem({ code: body.setup_code.code, mode: "key", public_jwk: other.publicJwk });
    expect(await wrongKey.json()).toEqual(mismatch("secret"));
    expect((await view(created.id)).keys).toHaveLength(1);
    expect((await redeem({ code: body.setup_code.code, mode: "secret" })).status).toBe(200);
    const [event] = await auditEvents(`action=credential.setup_code.create&target=${created.id}`);
    expect(event?.detail).toMatchObject({ mode: "secret" });
  });

  it("answers unknown codes the same in either mode, and refuses a mode without a setup code or an unknown mode", async () => {
    for (const mode of ["key", "secret"] as const) {
      const key = await newClientKey();
      await expectInvalidCode(
        await redeem({ code: await newSetupCode(), mode, ...(mode === "key" ? { public_jwk: key.publicJwk } : {}) }),
      );
    }
    const withSecret = await t.admin("POST", "/credentials", {
      label: "mode-secret-delivery",
      grants: [{ resource: API, scopes: ["builds:read"] }],
      mode: "secret",
    });
    expect(withSecret.status).toBe(400);
    expect(await withSecret.json()).toMatchObject({ code: "invalid_request" });
    const created = await createWithCode();
    const bad = await t.admin("POST", `/credentials/${created.id}/setup-codes`, { mode: "both" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "invalid_request" });
  });
});

describe("check-then-act races", () => {
  it("leaves one pending code after concurrent issues: the last to commit wins, the others are cancelled", async () => {
    const created = await createWithCode();
    const { adminWith, batchBarrier, faultyEnv } = await import("../support/faults");
    // Every issue has read the pending codes before any of them writes.
    const racing = faultyEnv({ beforeBatch: batchBarrier(5, 'insert into "setup_codes"') });
    const issued = await Promise.all(
      Array.from({ length: 5 }, () =>
        adminWith(racing, t.adminToken, "POST", `/credentials/${created.id}/setup-codes`, { mode: "secret" }).then(
          (r) => r.res,
        ),
      ),
    );
    expect(issued.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const codes = await Promise.all(
      issued.map(async (r) => ((await r.json()) as { setup_code: SetupCodeView }).setup_code.code),
    );
    const pending = await env.DB.prepare(
      "SELECT count(*) AS n FROM setup_codes WHERE credential_id = ? AND status = 'pending'",
    )
      .bind(created.id)
      .first<{ n: number }>();
    expect(pending?.n).toBe(1);
    const results = await Promise.all(
      [created.setup_code.code, ...codes].map((code) => redeem({ code, mode: "secret" })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    expect((await view(created.id)).secrets).toHaveLength(1);
  }, 30_000);

  it("adds nothing when the claim statement changed no row (the code was cancelled under it)", async () => {
    const created = await createWithCode();
    const { failingTrigger } = await import("../support/faults");
    const drop = await failingTrigger(
      "setup_codes",
      "UPDATE",
      `NEW.credential_id = '${created.id}'`,
      "SELECT RAISE(IGNORE)",
    );
    try {
      await expectInvalidCode(await redeem({ code: created.setup_code.code, mode: "secret" }));
    } finally {
      await drop();
    }
    const after = await view(created.id);
    expect(after.secrets).toEqual([]);
    expect(await auditEvents(`action=credential.claim&target=${created.id}`)).toEqual([]);
  });
});
