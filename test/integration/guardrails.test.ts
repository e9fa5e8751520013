/**
 * Guardrails against real D1 and KV through the real Worker: network allow-lists (IPv4 and IPv6, in and out,
 * enforce and monitor, at the token endpoint and the admin API, a bad CIDR refused, coalesced alerts and their
 * background dedupe, PATCH and the authority rule, recent sources), mint quotas (under and over in both modes,
 * the headers, the reset with an injected clock, the approximation measured and printed) and caching health.
 */
import { waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { OAUTH_DESCRIPTIONS as D } from "../../src/domain/errors";
import { cachingHealth } from "../../src/domain/caching-health";
import { formatCidr, parseCidr } from "../../src/domain/cidr";
import { HOUR_MS, isAllowedAddress, judgeQuota } from "../../src/domain/guardrails";
import { MANAGEMENT_RESOURCE } from "../../src/domain/management";
import { setLogSink } from "../../src/log";
import { checkCachingHealth } from "../../src/services/caching-health-cron";
import { forgetAlertMemo, raiseAlert } from "../../src/services/guardrail-alerts";
import { setUsageFlushWindow } from "../../src/services/usage-recorder";
import type { WebhookMessage } from "../../src/services/webhook-events";
import { recordHourMints } from "../../src/storage/usage";
import { callWith, faultyEnv } from "../support/faults";
import {
  call,
  encodeForm,
  env,
  realmPath,
  setupTenant,
  testContext,
  tokenRequest,
  type TestTenant,
} from "../support/harness";
import { expectOAuthError, expectProblem, type Json } from "../support/wire";

const API = "https://api.guard.test";
let t: TestTenant;

interface Cred {
  id: string;
  secret: string;
}

beforeAll(async () => {
  t = await setupTenant("guardrails");
  const res = await t.admin("POST", "/resources", {
    uri: API,
    name: "Guarded API",
    scopes: [{ name: "api:read", description: "Read" }],
  });
  expect(res.status).toBe(201);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  setLogSink();
  setUsageFlushWindow();
});

async function createCred(extra: Record<string, unknown> = {}, grants?: unknown): Promise<Cred> {
  const res = await t.admin("POST", "/credentials", {
    label: `g-${crypto.randomUUID().slice(0, 8)}`,
    grants: grants ?? [{ resource: API, scopes: ["api:read"] }],
    ...extra,
  });
  const body = (await res.json()) as Json;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { id: body.client_id, secret: body.client_secret };
}

const mint = (c: Cred, ip: string, form: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "client_credentials", ...form }, { basic: [c.id, c.secret], ip });

const auditOf = async (id: string, action: string) =>
  ((await (await t.admin("GET", `/audit?target=${id}&action=${action}`)).json()) as { events: Json[] }).events;

/** Waits until the credential has exactly `n` audit events of `action` (they are written in the background). */
const expectAuditCount = (id: string, action: string, n: number) =>
  vi.waitFor(
    async () => {
      const events = await auditOf(id, action);
      expect(events).toHaveLength(n);
      return events;
    },
    { timeout: 5_000, interval: 50 },
  );

/** Records each webhook event sent to the real queue (tenant, type, subject), still forwarding it. */
function captureWebhooks(): Json[] {
  const queued: Json[] = [];
  const queue = env.WEBHOOK_QUEUE;
  const send = queue.send.bind(queue);
  vi.spyOn(queue, "send").mockImplementation((body, options) => {
    const message = body as WebhookMessage;
    if (message.kind === "event") {
      const { tenantId, type, subject } = message.event;
      queued.push({ tenant: tenantId, type, subject: subject ?? null });
    }
    return send(body, options);
  });
  return queued;
}

describe("guardrail policy (pure)", () => {
  it("matches addresses at prefixes that do not fall on a group boundary", () => {
    const policy = { cidrs: ["2001:db8:ab80::/41", "198.51.100.128/25"], mode: "enforce" as const };
    expect(isAllowedAddress(policy, "2001:db8:abff:1::1")).toBe(true);
    expect(isAllowedAddress(policy, "2001:db8:ab7f::1")).toBe(false);
    expect(isAllowedAddress(policy, "198.51.100.200")).toBe(true);
    expect(isAllowedAddress(policy, "198.51.100.127")).toBe(false);
    expect(isAllowedAddress(policy, "::ffff:198.51.100.129")).toBe(true);
    expect(isAllowedAddress(policy, undefined)).toBe(false);
    expect(isAllowedAddress(policy, "garbage")).toBe(false);
    expect(formatCidr(parseCidr("2001:0db8:0000:0000:0001:0000:0000:0000/128")!)).toBe("2001:db8:0:0:1::/128");
    expect(formatCidr(parseCidr("2001:db8:0:0:1:0:0:1")!)).toBe("2001:db8::1:0:0:1/128");
    expect(formatCidr(parseCidr("2001:db8:0:1:1:1:1:1")!)).toBe("2001:db8:0:1:1:1:1:1/128");
    expect(formatCidr(parseCidr("::/0")!)).toBe("::/0");
    expect(parseCidr("1.2.3.4/08")).not.toBeNull();
    expect(parseCidr("1.2.3.4/")).toBeNull();
  });

  it("judges quotas per UTC window and flags caching health by the lifetime and sources", () => {
    const at = Date.UTC(2026, 11, 1, 23, 30);
    const policy = { perHour: 10, perDay: 12, mode: "enforce" as const };
    expect(judgeQuota(policy, { hour: 5, day: 11 }, at)).toMatchObject({
      over: false,
      tightest: { window: "day", limit: 12, remaining: 0, resetSeconds: 1800 },
    });
    expect(judgeQuota(policy, { hour: 10, day: 12 }, at).exceeded.map((w) => w.window)).toEqual(["hour", "day"]);
    expect(cachingHealth(40, 1, 3600).status).toBe("not_caching");
    expect(cachingHealth(40, 10, 3600).status).toBe("ok");
    expect(cachingHealth(29, 1, 3600).status).toBe("ok");
    expect(cachingHealth(40, 1, 300).status).toBe("ok");
    expect(cachingHealth(0, 0, 3600).status).toBe("idle");
  });
});

describe("network allow-lists: validation and normalisation", () => {
  it("refuses a bad CIDR with a 400 problem naming the entry, without echoing it", async () => {
    for (const bad of [
      "10.0.0.0/33",
      "2001:db8::/129",
      "not-an-address",
      "10.1.2.3/8/1",
      "10.0.0.256/8",
      "fe80::1%eth0/64",
    ]) {
      const res = await t.admin("POST", "/credentials", {
        label: `bad-${crypto.randomUUID().slice(0, 8)}`,
        grants: [{ resource: API, scopes: ["api:read"] }],
        network: { cidrs: ["192.0.2.0/24", bad], mode: "enforce" },
      });
      const body = await expectProblem(res, 400, "invalid_request", { why: bad, forbid: bad });
      expect(body.errors, bad).toEqual([
        { path: "network.cidrs.1", message: expect.stringContaining("not a CIDR range") },
      ]);
    }
    const c = await createCred();
    await expectProblem(
      await t.admin("PATCH", `/credentials/${c.id}`, { network: { cidrs: [] } }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("PATCH", `/credentials/${c.id}`, { quota: { mode: "enforce" } }),
      400,
      "invalid_request",
    );
  });

  it("stores ranges normalised: host bits cleared, RFC 5952 IPv6, bare addresses as single hosts, duplicates dropped", async () => {
    const c = await createCred();
    const res = await t.admin("PATCH", `/credentials/${c.id}`, {
      network: {
        cidrs: ["10.1.2.3/8", "2001:DB8:0:0:0:0:0:1/32", "203.0.113.9", "::ffff:198.51.100.0/120", "10.0.0.0/8"],
      },
    });
    expect(res.status).toBe(200);
    const view = (await res.json()) as Json;
    expect(view.guardrails).toEqual({
      network: { cidrs: ["10.0.0.0/8", "2001:db8::/32", "203.0.113.9/32", "198.51.100.0/24"], mode: "enforce" },
      quota: null,
    });
  });
});

describe("network allow-lists at the token endpoint", () => {
  const network = { cidrs: ["203.0.113.0/24", "2001:db8:aa::/48"] };

  it("enforce: IPv4 and IPv6 inside mint; outside is 400 unauthorized_client, one audited alert and webhook per source", async () => {
    const c = await createCred({ network: { ...network, mode: "enforce" } });
    const hooks = captureWebhooks();
    for (const ip of ["203.0.113.7", "2001:db8:aa:1::5", "::ffff:203.0.113.9"])
      expect((await mint(c, ip)).status, ip).toBe(200);
    for (const ip of ["198.51.100.7", "2001:db8:bb::1", "198.51.100.7", "2001:db8:bb::2", "198.51.100.7"]) {
      await expectOAuthError(await mint(c, ip), 400, "unauthorized_client", {
        description: D.networkNotAllowed,
        basicChallenge: true,
        why: ip,
      });
    }
    const events = await expectAuditCount(c.id, "credential.network_denied", 2);
    expect(events.map((e) => e.detail.source).sort()).toEqual(["4:198.51.100.7", "6:2001:db8:bb:0"]);
    expect(events[0]).toMatchObject({
      actor: "system:guardrails",
      detail: { surface: "token_endpoint", mode: "enforce" },
    });
    await vi.waitFor(() => expect(hooks.filter((h) => h.type === "credential.network_denied")).toHaveLength(2));
    expect(hooks[0]).toMatchObject({ tenant: "guardrails", subject: c.id });
  });

  it("monitor: outside still mints and records credential.network_outside_allowlist once per source and hour", async () => {
    const c = await createCred({ network: { ...network, mode: "monitor" } });
    for (let i = 0; i < 3; i++) expect((await mint(c, "192.0.2.77")).status).toBe(200);
    expect((await mint(c, "2001:db8:aa:ffff::1")).status).toBe(200);
    const [event] = await expectAuditCount(c.id, "credential.network_outside_allowlist", 1);
    expect(event).toMatchObject({ ip: "192.0.2.77", detail: { source: "4:192.0.2.77", mode: "monitor" } });
    expect(await auditOf(c.id, "credential.network_denied")).toEqual([]);
  });

  it("dedupes across isolates in the background: one alert per credential, source and hour", async () => {
    const c = await createCred();
    const hooks = captureWebhooks();
    const work: Promise<unknown>[] = [];
    const deps = { ...testContext(), background: (p: Promise<unknown>) => void work.push(p) };
    const credential = { id: c.id, tenantId: t.tenantId, label: "x" };
    const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const alert = (windowStart: number) =>
      ({
        kind: "network_denied",
        source: "4:198.51.100.1",
        address: "198.51.100.1",
        surface: "token_endpoint",
        mode: "enforce",
        windowStart,
      }) as const;
    for (const windowStart of [hour, hour, hour + HOUR_MS]) {
      forgetAlertMemo();
      raiseAlert(deps, credential, alert(windowStart), Date.now());
      await Promise.all(work);
    }
    expect(await auditOf(c.id, "credential.network_denied")).toHaveLength(2);
    expect(hooks.filter((h) => h.subject === c.id)).toHaveLength(2);
  });

  it("answers the same when the alert's write fails, leaves nothing half-written, and retries on the next request", async () => {
    const c = await createCred({ network: { cidrs: ["203.0.113.0/24"] } });
    const broken = faultyEnv({ d1: (q) => q.kind === "batch" && q.sql.some((s) => s.includes("guardrail_alerts")) });
    const { res, ctx } = await callWith(broken, `${realmPath(t.tenantId)}/oauth/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${encodeForm(c.id)}:${encodeForm(c.secret)}`)}`,
        "cf-connecting-ip": "198.51.100.90",
      },
      body: "grant_type=client_credentials",
    });
    await expectOAuthError(res, 400, "unauthorized_client", { description: D.networkNotAllowed, basicChallenge: true });
    await waitOnExecutionContext(ctx);
    const rows = (table: string) =>
      env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE credential_id = ?`).bind(c.id).first<{ n: number }>();
    expect(await rows("guardrail_alerts")).toEqual({ n: 0 });
    expect(await rows("credential_sources")).toEqual({ n: 0 });
    expect(await auditOf(c.id, "credential.network_denied")).toEqual([]);
    await expectOAuthError(await mint(c, "198.51.100.90"), 400, "unauthorized_client", { basicChallenge: true });
    await expectAuditCount(c.id, "credential.network_denied", 1);
  });

  it("PATCH changes the list at once, audited; null removes it; only a caller holding the credential's management scopes may", async () => {
    const c = await createCred();
    expect((await mint(c, "198.51.100.50")).status).toBe(200);
    const res = await t.admin("PATCH", `/credentials/${c.id}`, { network: { cidrs: ["192.0.2.0/24"] } });
    expect(res.status).toBe(200);
    await expectOAuthError(await mint(c, "198.51.100.50"), 400, "unauthorized_client", { basicChallenge: true });
    const [update] = await auditOf(c.id, "credential.guardrails.update");
    expect(update?.detail).toEqual({
      before: { network: null, quota: null },
      after: { network: { cidrs: ["192.0.2.0/24"], mode: "enforce" }, quota: null },
    });
    expect((await t.admin("PATCH", `/credentials/${c.id}`, { network: null })).status).toBe(200);
    expect((await mint(c, "198.51.100.50")).status).toBe(200);

    const writer = await setupTenant("guardrails", ["credentials:read", "credentials:write"]);
    const refused = await writer.admin("PATCH", `/credentials/${t.adminClientId}`, {
      network: { cidrs: ["192.0.2.0/24"] },
    });
    await expectProblem(refused, 403, "forbidden", {
      fields: {
        missing_scopes: [
          "audit:read",
          "resources:read",
          "resources:write",
          "tokens:introspect",
          "webhooks:read",
          "webhooks:write",
        ],
      },
    });
    expect((await writer.admin("PATCH", `/credentials/${c.id}`, { quota: { per_day: 10 } })).status).toBe(200);
  });

  it("shows recent sources in the detail view, each marked inside or outside the current list", async () => {
    setUsageFlushWindow(100);
    const c = await createCred({ network: { cidrs: ["203.0.113.0/24"], mode: "monitor" } });
    expect((await mint(c, "203.0.113.20")).status).toBe(200);
    expect((await mint(c, "2001:db8:cc:1::9")).status).toBe(200);
    const sources = await vi.waitFor(
      async () => {
        const view = (await (await t.admin("GET", `/credentials/${c.id}`)).json()) as Json;
        expect(view.recent_sources).toHaveLength(2);
        return view.recent_sources as Json[];
      },
      { timeout: 5_000, interval: 50 },
    );
    const bySource = Object.fromEntries(sources.map((s) => [s.source, s]));
    expect(bySource["4:203.0.113.20"]).toMatchObject({
      address: "203.0.113.20",
      mint_count: 1,
      inside_allowlist: true,
    });
    expect(bySource["6:2001:db8:cc:1"]).toMatchObject({
      address: "2001:db8:cc:1::9",
      mint_count: 1,
      inside_allowlist: false,
    });
  });
});

describe("network allow-lists at the admin API", () => {
  it("refuses a management credential outside its enforced list (403 network_not_allowed); monitor lets it through with an alert", async () => {
    const scopes = ["credentials:read", "credentials:write"];
    const m = await createCred({ network: { cidrs: ["192.0.2.0/24"], mode: "enforce" } }, [
      { resource: MANAGEMENT_RESOURCE, scopes },
    ]);
    const minted = await mint(m, "192.0.2.10", { resource: MANAGEMENT_RESOURCE });
    const token = ((await minted.json()) as Json).access_token as string;
    const list = (ip: string) =>
      call("/api/v1/credentials?limit=1", { headers: { authorization: `Bearer ${token}` }, ip });
    expect((await list("192.0.2.44")).status).toBe(200);
    await expectProblem(await list("198.51.100.44"), 403, "network_not_allowed", {
      fields: { detail: "This credential may not call the admin API from this network." },
    });
    await expectProblem(await list("2001:db8::44"), 403, "network_not_allowed");
    const denied = await expectAuditCount(m.id, "credential.network_denied", 2);
    expect(denied.every((e) => e.detail.surface === "admin_api")).toBe(true);

    expect(
      (await t.admin("PATCH", `/credentials/${m.id}`, { network: { cidrs: ["192.0.2.0/24"], mode: "monitor" } }))
        .status,
    ).toBe(200);
    expect((await list("198.51.100.44")).status).toBe(200);
    await expectAuditCount(m.id, "credential.network_outside_allowlist", 1);
  });
});

describe("mint quotas", () => {
  const hourStart = () => Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const headersOf = (res: Response) =>
    Object.fromEntries(
      ["limit", "remaining", "reset", "window"].map((h) => [h, res.headers.get(`latchkey-quota-${h}`)]),
    );

  it("enforce: under the quota mints with the headers; over it 429 quota_exceeded until the hour resets", async () => {
    const hooks = captureWebhooks();
    const c = await createCred({ quota: { per_hour: 3, mode: "enforce" } });
    const t0 = hourStart() + 30 * 60_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(t0);
    for (const remaining of ["2", "1", "0"]) {
      const res = await mint(c, "198.51.100.60");
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(headersOf(res)).toEqual({ limit: "3", remaining, reset: "1800", window: "hour" });
    }
    for (let i = 0; i < 2; i++) {
      await expectOAuthError(await mint(c, "198.51.100.60"), 429, "quota_exceeded", {
        description: D.quotaExceeded,
        retryAfter: 1800,
        basicChallenge: true,
      });
    }
    vi.setSystemTime(t0 + 30 * 60_000 + 1_000);
    const next = await mint(c, "198.51.100.60");
    expect(next.status).toBe(200);
    expect(headersOf(next)).toEqual({ limit: "3", remaining: "2", reset: "3599", window: "hour" });
    vi.useRealTimers();
    const [event] = await expectAuditCount(c.id, "credential.quota_exceeded", 1);
    expect(event?.detail).toEqual({
      window: "hour",
      limit: 3,
      mode: "enforce",
      window_start: new Date(t0 - 30 * 60_000).toISOString(),
    });
    expect(hooks.filter((h) => h.type === "credential.quota_exceeded")).toHaveLength(1);
  });

  it("reports the tighter window: a day quota refuses until UTC midnight", async () => {
    const c = await createCred({ quota: { per_hour: 100, per_day: 2 } });
    const midnight = Math.ceil(Date.now() / 86_400_000) * 86_400_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(midnight - 2 * HOUR_MS);
    expect(headersOf(await mint(c, "198.51.100.61"))).toEqual({
      limit: "2",
      remaining: "1",
      reset: "7200",
      window: "day",
    });
    expect((await mint(c, "198.51.100.61")).status).toBe(200);
    await expectOAuthError(await mint(c, "198.51.100.61"), 429, "quota_exceeded", {
      retryAfter: 7200,
      basicChallenge: true,
    });
  });

  it("monitor: over the quota still mints, with Remaining 0, and records one credential.quota_exceeded", async () => {
    const c = await createCred({ quota: { per_hour: 1, mode: "monitor" } });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await mint(c, "198.51.100.62");
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("latchkey-quota-remaining"));
    }
    expect(remaining).toEqual(["0", "0", "0"]);
    const [event] = await expectAuditCount(c.id, "credential.quota_exceeded", 1);
    expect(event?.detail).toMatchObject({ window: "hour", limit: 1, mode: "monitor" });
  });

  it("sends no quota headers for a credential without quotas, and PATCH null removes a quota", async () => {
    const c = await createCred({ quota: { per_hour: 1 } });
    expect((await mint(c, "198.51.100.63")).status).toBe(200);
    expect((await mint(c, "198.51.100.63")).status).toBe(429);
    expect((await t.admin("PATCH", `/credentials/${c.id}`, { quota: null })).status).toBe(200);
    const res = await mint(c, "198.51.100.63");
    expect(res.status).toBe(200);
    expect(headersOf(res)).toEqual({ limit: null, remaining: null, reset: null, window: null });
  });

  it("the approximation, measured: another isolate's flushed mints reach this one's estimate late (printed)", async () => {
    const quota = 60;
    const c = await createCred({ quota: { per_hour: quota } });
    const db = testContext().db;
    const hour = hourStart();
    vi.useFakeTimers({ toFake: ["Date"] });
    let admitted = 0;
    let remote = 0;
    let remotePending = 0;
    let refusedAt = -1;
    for (let second = 0; second < 2 * quota && refusedAt < 0; second++) {
      vi.setSystemTime(hour + 60_000 + second * 1_000);
      remote += 1;
      remotePending += 1;
      if (second % 20 === 19) {
        await recordHourMints(db, [
          { credentialId: c.id, tenantId: t.tenantId, hourStart: hour, count: remotePending },
        ]).run();
        remotePending = 0;
      }
      const res = await mint(c, "198.51.100.64");
      if (res.status === 200) admitted += 1;
      else refusedAt = second;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(refusedAt).toBeGreaterThan(0);
    const overshoot = admitted + remote - quota;
    console.log(
      `quota approximation: quota ${quota}/h, two isolates at 1 mint/s each, flush 20 s, refresh 10 s: ` +
        `first refusal after ${admitted + remote} mints in total (overshoot ${overshoot >= 0 ? "+" : ""}${overshoot}, ` +
        `${((100 * overshoot) / quota).toFixed(0)}% of the quota; bound: the other isolate's last 20 s + 10 s = 30 mints)`,
    );
  });
});

describe("caching health", () => {
  it("flags a credential whose client mints a token per call, once; the list and detail views show it", async () => {
    setUsageFlushWindow(50);
    const chatty = await createCred();
    const quiet = await createCred();
    const hooks = captureWebhooks();
    const lastHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(lastHour + 10 * 60_000);
    for (let i = 0; i < 40; i++) expect((await mint(chatty, "198.51.100.70")).status).toBe(200);
    expect((await mint(quiet, "198.51.100.71")).status).toBe(200);
    vi.useRealTimers();
    await vi.waitFor(
      async () => {
        const view = (await (await t.admin("GET", `/credentials/${chatty.id}`)).json()) as Json;
        expect(view.caching_health).toMatchObject({ mints_last_hour: 40 });
      },
      { timeout: 5_000, interval: 50 },
    );
    const ctx = testContext();
    const first = await checkCachingHealth(ctx, Date.now());
    expect(first.flagged).toBeGreaterThanOrEqual(1);
    await checkCachingHealth(ctx, Date.now());
    expect(hooks.filter((h) => h.type === "credential.not_caching" && h.subject === chatty.id)).toHaveLength(1);
    expect(hooks.filter((h) => h.subject === quiet.id)).toHaveLength(0);

    const list = ((await (await t.admin("GET", "/credentials")).json()) as { credentials: Json[] }).credentials;
    expect(list.find((x) => x.id === chatty.id)?.not_caching).toBe(true);
    expect(list.find((x) => x.id === quiet.id)?.not_caching).toBe(false);
    const detail = (await (await t.admin("GET", `/credentials/${chatty.id}`)).json()) as Json;
    expect(detail.caching_health).toEqual({
      status: "not_caching",
      mints_last_hour: 40,
      expected_per_hour: 1,
      sources_last_hour: 1,
      flagged_at: expect.any(String),
    });
  });
});
