/**
 * The SDK's revocation feed against the real local server (wrangler dev, real D1 and signing keys): the
 * verifier refuses an already-issued token within one poll interval of "revoke issued tokens" or of an RFC
 * 7009 revocation, keeps its last good feed when a tampered one arrives, and behaves as configured (fail
 * closed by default, or open) when the feed cannot be refreshed; the hono middleware answers 401 and 503.
 * Polls are driven by a manual scheduler and an injected clock, never by sleeping. One test prints the
 * measured time from an admin's revoke to a verifier's refusal with real timers (a figure, not an assertion).
 */
import { Hono } from "hono";
import { createRemoteJWKSet, decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { LatchkeyError, TokenVerificationError } from "../../src/client/errors";
import { latchkeyAuth } from "../../src/client/hono";
import {
  createRevocationFeed,
  type FeedRefresh,
  type FeedScheduler,
  type RevocationFeedOptions,
} from "../../src/client/revocation-feed";
import { createVerifier, type Verifier } from "../../src/client/verifier";
import { adminSession, url } from "./support";

const RESOURCE = "https://feed.example/api";
let admin: Awaited<ReturnType<typeof adminSession>>;

/** A scheduler whose timers run only when the test says one interval has passed. */
function manualScheduler() {
  const pending: { run: () => void; ms: number }[] = [];
  const scheduled: (() => void)[] = [];
  const scheduler: FeedScheduler = {
    setTimeout(run, ms) {
      const timer = { run, ms };
      pending.push(timer);
      scheduled.shift()?.();
      return timer;
    },
    clearTimeout(handle) {
      const i = pending.indexOf(handle as (typeof pending)[number]);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  /** The next pending timer, once the feed has scheduled one. */
  const next = async () => {
    if (pending.length === 0) await new Promise<void>((resolve) => scheduled.push(resolve));
    return pending.shift()!;
  };
  return { scheduler, next };
}

/** A verifier with a manual scheduler, a movable clock and a way to await its next refresh. */
function feedVerifier(feed: RevocationFeedOptions = {}, fetchImpl?: typeof fetch) {
  const { scheduler, next } = manualScheduler();
  const clock = { now: 1_000_000 };
  const waiters: ((r: FeedRefresh) => void)[] = [];
  const verifier = createVerifier({
    issuer: url(),
    audience: RESOURCE,
    fetch: fetchImpl,
    revocationFeed: {
      pollIntervalSeconds: 20,
      maxStalenessSeconds: 60,
      ...feed,
      scheduler,
      now: () => clock.now,
      onRefresh: (r) => waiters.shift()?.(r),
    },
  });
  /** Lets one poll interval pass: runs the pending poll and resolves with what it found. */
  const poll = async (): Promise<FeedRefresh> => {
    const timer = await next();
    expect(timer.ms).toBe((feed.pollIntervalSeconds ?? 20) * 1000);
    const done = new Promise<FeedRefresh>((resolve) => waiters.push(resolve));
    timer.run();
    return done;
  };
  return { verifier, poll, clock };
}

async function newCredential() {
  const created = await admin.api("POST", "/credentials", {
    label: `feed-${crypto.randomUUID().slice(0, 8)}`,
    grants: [{ resource: RESOURCE, scopes: ["feed:read"] }],
  });
  expect(created.status).toBe(201);
  return created.body as { client_id: string; client_secret: string };
}

const basic = (c: { client_id: string; client_secret: string }) =>
  `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString("base64")}`;

async function mint(c: { client_id: string; client_secret: string }): Promise<string> {
  const res = await fetch(`${url()}/oauth/token`, {
    method: "POST",
    headers: { authorization: basic(c), "content-type": "application/x-www-form-urlencoded" },
    body: `grant_type=client_credentials&resource=${encodeURIComponent(RESOURCE)}`,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function revokeIssued(clientId: string) {
  expect((await admin.api("POST", `/credentials/${clientId}/tokens/revoke`)).status).toBe(200);
}

async function expectRevoked(verifier: Verifier, token: string) {
  const error = await verifier.verify(token).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TokenVerificationError);
  expect((error as TokenVerificationError).message).toBe("The access token was revoked");
}

async function expectStale(verifier: Verifier, token: string) {
  const error = await verifier.verify(token).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LatchkeyError);
  expect((error as LatchkeyError).code).toBe("revocation_unavailable");
}

beforeAll(async () => {
  admin = await adminSession();
  const resource = await admin.api("POST", "/resources", {
    uri: RESOURCE,
    name: "Feed",
    scopes: [{ name: "feed:read" }],
  });
  expect([201, 409]).toContain(resource.status);
});

describe("a verifier polling the revocation feed", () => {
  it("refuses an already-issued token within one poll interval of its credential's revocation", async () => {
    const job = await newCredential();
    const token = await mint(job);
    const { verifier, poll } = feedVerifier();
    expect((await verifier.verify(token)).client_id).toBe(job.client_id);
    expect((await poll()).outcome).toBe("unchanged");
    await revokeIssued(job.client_id);
    expect((await verifier.verify(token)).client_id).toBe(job.client_id);
    expect((await poll()).outcome).toBe("updated");
    await expectRevoked(verifier, token);
    verifier.close?.();
  });

  it("refuses a token its client revoked (RFC 7009) after the next poll, and only that one", async () => {
    const job = await newCredential();
    const [revoked, kept] = [await mint(job), await mint(job)];
    const { verifier, poll } = feedVerifier();
    await verifier.verify(revoked);
    const res = await fetch(`${url()}/oauth/revoke`, {
      method: "POST",
      headers: { authorization: basic(job), "content-type": "application/x-www-form-urlencoded" },
      body: `token=${revoked}`,
    });
    expect(res.status).toBe(200);
    expect((await poll()).outcome).toBe("updated");
    await expectRevoked(verifier, revoked);
    expect((await verifier.verify(kept)).client_id).toBe(job.client_id);
  });

  it("ignores a tampered feed: the last verified one stays in force, and with none yet it fails closed", async () => {
    const job = await newCredential();
    const token = await mint(job);
    await revokeIssued(job.client_id);
    let tamper = false;
    const tampering: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!tamper || !String(input).endsWith("/latchkey-revocations") || res.status !== 200) return res;
      const [h, , s] = (await res.text()).split(".");
      const payload = Buffer.from(JSON.stringify({ iss: url(), revoked_clients: [], revoked_jtis: [] })).toString(
        "base64url",
      );
      return new Response(`${h}.${payload}.${s}`, { status: 200, headers: { etag: '"forged"' } });
    };
    const { verifier, poll } = feedVerifier({}, tampering);
    await expectRevoked(verifier, token);
    tamper = true;
    await revokeIssued((await newCredential()).client_id);
    const refused = await poll();
    expect(refused.outcome).toBe("failed");
    expect(refused.outcome === "failed" && refused.error.code).toBe("invalid_response");
    await expectRevoked(verifier, token);

    const fresh = feedVerifier({}, tampering).verifier;
    await expectStale(fresh, await mint(await newCredential()));
  });

  it("fails closed once the feed has not been refreshed for longer than the bound, and recovers", async () => {
    const job = await newCredential();
    const token = await mint(job);
    let down = false;
    const flaky: typeof fetch = (input, init) =>
      down && String(input).endsWith("/latchkey-revocations")
        ? Promise.reject(new TypeError("fetch failed"))
        : fetch(input, init);
    const { verifier, poll, clock } = feedVerifier({ maxStalenessSeconds: 60 }, flaky);
    await verifier.verify(token);
    down = true;
    clock.now += 40_000;
    expect((await poll()).outcome).toBe("failed");
    expect((await verifier.verify(token)).client_id).toBe(job.client_id);
    clock.now += 21_000;
    expect((await poll()).outcome).toBe("failed");
    await expectStale(verifier, token);
    const app = new Hono().use("/r", latchkeyAuth({ verifier })).get("/r", (c) => c.text("ok"));
    const res = await app.request("/r", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: expect.any(String) });
    down = false;
    expect((await poll()).outcome).not.toBe("failed");
    expect((await verifier.verify(token)).client_id).toBe(job.client_id);
  });

  it("fails open when the integrator chooses it, still refusing what the last feed named", async () => {
    const job = await newCredential();
    const [token, other] = [await mint(job), await mint(await newCredential())];
    let down = false;
    const flaky: typeof fetch = (input, init) =>
      down && String(input).endsWith("/latchkey-revocations")
        ? Promise.reject(new TypeError("fetch failed"))
        : fetch(input, init);
    const { verifier, poll, clock } = feedVerifier({ onStale: "fail-open", maxStalenessSeconds: 30 }, flaky);
    await revokeIssued(job.client_id);
    await expectRevoked(verifier, token);
    down = true;
    clock.now += 120_000;
    expect((await poll()).outcome).toBe("failed");
    await expectRevoked(verifier, token);
    expect((await verifier.verify(other)).aud).toBe(RESOURCE);
    const app = new Hono().use("/r", latchkeyAuth({ verifier })).get("/r", (c) => c.text("ok"));
    const res = await app.request("/r", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("measures the time from an admin's revoke to a verifier refusing an issued token (printed, real timers)", async () => {
    const job = await newCredential();
    const token = await mint(job);
    const refreshed: (() => void)[] = [];
    const verifier = createVerifier({
      issuer: url(),
      audience: RESOURCE,
      revocationFeed: { pollIntervalSeconds: 1, onRefresh: () => refreshed.shift()?.() },
    });
    await verifier.verify(token);
    const started = performance.now();
    await revokeIssued(job.client_id);
    const revokedAt = performance.now();
    for (;;) {
      await new Promise<void>((resolve) => refreshed.push(resolve));
      const outcome = await verifier.verify(token).then(
        () => "accepted",
        (e: unknown) => (e instanceof TokenVerificationError ? "refused" : "error"),
      );
      if (outcome === "refused") break;
    }
    const refusedAt = performance.now();
    await expectRevoked(verifier, token);
    verifier.close?.();

    const second = await newCredential();
    const secondToken = await mint(second);
    const feed = createRevocationFeed({
      issuer: url(),
      keys: async () => createRemoteJWKSet(new URL(`${url()}/.well-known/jwks.json`)),
      algorithms: ["ES256"],
      fetch: (input, init) => fetch(input, init),
    });
    const claims = decodeJwt(secondToken);
    await feed.check(claims);
    const floorStart = performance.now();
    await revokeIssued(second.client_id);
    expect((await feed.refresh()).outcome).toBe("updated");
    await expect(feed.check(claims)).rejects.toBeInstanceOf(TokenVerificationError);
    const floor = performance.now() - floorStart;
    feed.stop();
    console.log(
      `revocation-feed: admin revoke call ${(revokedAt - started).toFixed(0)} ms; revoke -> verifier refusal ${(refusedAt - started).toFixed(0)} ms with a 1 s poll interval; revoke -> refusal with an immediate poll ${floor.toFixed(0)} ms`,
    );
  });
});
