/**
 * Signing-key lifecycle through the real cron handler and the served JWKS, with an injected clock:
 * a successor is published before it signs, the old key stays published until its tokens have expired,
 * then it is pruned. Private keys are stored only in their encrypted envelope.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { decodeProtectedHeader } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { call, env, freshIp, setupTenant, tokenRequest, type TestTenant } from "../support/harness";

const DAY = 86_400_000;
let t: TestTenant;

async function runCron(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function publishedKids(): Promise<string[]> {
  const res = await call("/.well-known/jwks.json");
  const { keys } = (await res.json()) as { keys: { kid: string; d?: string }[] };
  for (const key of keys) expect(key.d).toBeUndefined();
  return keys.map((k) => k.kid).sort();
}

async function signingKid(): Promise<string> {
  const res = await tokenRequest(
    { grant_type: "client_credentials", resource: "urn:latchkey:management" },
    { basic: [t.adminClientId, t.adminSecret], ip: freshIp() },
  );
  expect(res.status).toBe(200);
  return decodeProtectedHeader(((await res.json()) as { access_token: string }).access_token).kid!;
}

beforeAll(async () => {
  t = await setupTenant("default");
});

afterEach(() => {
  vi.useRealTimers();
});

describe("signing key rotation", () => {
  it("publishes the successor before it signs, keeps the old key until its tokens expire, then prunes it", async () => {
    const start = Date.now();
    const first = await signingKid();
    expect(await publishedKids()).toEqual([first]);

    vi.useFakeTimers({ toFake: ["Date"] });
    // Not due yet: nothing changes.
    vi.setSystemTime(start + 10 * DAY);
    await runCron(Date.now());
    expect(await publishedKids()).toEqual([first]);

    // Due: a successor is published but does not sign yet.
    vi.setSystemTime(start + 31 * DAY);
    await runCron(Date.now());
    const published = await publishedKids();
    expect(published).toHaveLength(2);
    const second = published.find((k) => k !== first)!;
    expect(await signingKid()).toBe(first);

    // Two JWKS cache lifetimes later the successor signs; the old key stays published.
    vi.setSystemTime(start + 31 * DAY + 21 * 60_000);
    expect(await signingKid()).toBe(second);
    await runCron(Date.now());
    expect(await publishedKids()).toEqual([first, second].sort());

    // Once every token the old key signed has expired (24 h max lifetime + skew), it is pruned.
    vi.setSystemTime(start + 32 * DAY + 30 * 60_000);
    await runCron(Date.now());
    expect(await publishedKids()).toEqual([second]);
    expect(await signingKid()).toBe(second);
  });

  it("stores private keys only inside their encrypted envelope", async () => {
    const rows = await env.DB.prepare("select kid, public_jwk, private_jwk_envelope from signing_keys").all<{
      kid: string;
      public_jwk: string;
      private_jwk_envelope: string;
    }>();
    expect(rows.results.length).toBeGreaterThan(0);
    for (const row of rows.results) {
      expect(row.private_jwk_envelope).toMatch(/^v2\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(JSON.parse(row.public_jwk).d).toBeUndefined();
      expect(row.private_jwk_envelope).not.toContain('"d"');
    }
  });
});
