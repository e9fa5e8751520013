/**
 * Write integrity of admin changes on real bindings with injected faults (test/support/faults.ts): D1 is the
 * source of truth, so once a change committed the response carries what it made (never a 500, never a lost
 * secret) and a failed KV publish is retried in the background and by the cron; a D1 failure before the
 * commit is a 503 with nothing written. Also: racing rotations keep at most two live secrets, and the cron
 * retires expired secrets so authentication never loads them.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { findForAuthentication } from "../../src/storage/credentials";
import { primaryDb } from "../../src/storage/db";
import { env, freshIp, setupTenant, tokenRequest, type TestTenant } from "../support/harness";
import { expectProblem } from "../support/wire";
import { uniqueIp } from "../support/client-keys";
import {
  adminWith,
  batchBarrier,
  callWith,
  failAfterCommit,
  failCommit,
  failingTrigger,
  failKvWrites,
  faultyEnv,
  type FaultPlan,
} from "../support/faults";

const API = "https://api.example.com/ledger";
let t: TestTenant;

interface Created {
  id: string;
  client_secret: string;
  secrets: { id: string }[];
}

const grants = [{ resource: API, scopes: ["ledger:read"] }];
const label = () => `job-${crypto.randomUUID().slice(0, 8)}`;
const mint = async (id: string, secret: string) =>
  (await tokenRequest({ grant_type: "client_credentials" }, { basic: [id, secret], ip: freshIp() })).status;
const kvEntry = (id: string) => env.REVOCATIONS.get(`revocation:${id}`, "json");
const sync = (id: string) =>
  env.DB.prepare("SELECT changed_at, published_at, status FROM credentials WHERE id = ?")
    .bind(id)
    .first<{ changed_at: number; published_at: number | null; status: string }>();
const count = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n;

async function create(): Promise<Created> {
  const res = await t.admin("POST", "/credentials", { label: label(), grants });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

async function rotate(id: string, grace: number): Promise<string> {
  const res = await t.admin("POST", `/credentials/${id}/secrets`, { grace_period_seconds: grace });
  expect(res.status).toBe(201);
  return ((await res.json()) as { client_secret: string }).client_secret;
}

async function runCron(at = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Execution contexts of the requests made here, whose background work (publish retries) afterAll waits for. */
const started: ExecutionContext[] = [];

/** An admin call on a faulty env; its background work is awaited before the file ends. */
function faultyAdmin(env: ReturnType<typeof faultyEnv>, method: string, path: string, body?: unknown) {
  return adminWith(env, t.adminToken, method, path, body).then((r) => {
    started.push(r.ctx);
    return r.res;
  });
}

function admin(plan: FaultPlan, method: string, path: string, body?: unknown) {
  return faultyAdmin(faultyEnv(plan), method, path, body);
}

/** A storage outage: 503 problem with Retry-After 5 and nothing changed. */
const expectUnavailable = (res: Response) =>
  expectProblem(res, 503, "temporarily_unavailable", {
    retryAfter: 5,
    body: {
      type: "https://latchkey.dev/problems/temporarily_unavailable",
      title: "Service unavailable",
      status: 503,
      detail: "The database is unavailable. Retry later.",
      code: "temporarily_unavailable",
      retry_after: 5,
    },
  });

beforeAll(async () => {
  t = await setupTenant("integrity-tests");
  expect(
    (await t.admin("POST", "/resources", { uri: API, name: "Ledger", scopes: [{ name: "ledger:read" }] })).status,
  ).toBe(201);
});

afterEach(() => {
  vi.useRealTimers();
});

// A failed publish is retried in the background for a few seconds; the file ends only once that work has,
// so none of it logs into a worker that is shutting down.
afterAll(async () => {
  await Promise.all(started.map((ctx) => waitOnExecutionContext(ctx)));
});

describe("a failing KV after the D1 commit", () => {
  it("create answers 201 with the secret, which mints; the cron publishes the entry later", async () => {
    const res = await admin({ kv: failKvWrites }, "POST", "/credentials", { label: label(), grants });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Created;
    expect(body.client_secret).toMatch(/^lks_/);
    expect(await mint(body.id, body.client_secret)).toBe(200);
    expect(await kvEntry(body.id)).toBeNull();
    expect((await sync(body.id))?.published_at).toBeNull();

    await runCron();
    expect(await kvEntry(body.id)).toEqual({ revoked: false, retired: [], updatedAt: expect.any(Number) });
    const row = await sync(body.id);
    expect(row?.published_at).toBe(row?.changed_at);
  });

  it("rotate with grace 0 answers 201 with the new secret: the new one mints, the old one stops", async () => {
    const created = await create();
    const res = await admin({ kv: failKvWrites }, "POST", `/credentials/${created.id}/secrets`, {
      grace_period_seconds: 0,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { client_secret: string; secret: { id: string } };
    expect(await mint(created.id, body.client_secret)).toBe(200);
    expect(await mint(created.id, created.client_secret)).toBe(401);
  });

  it("retire and revoke answer 200 and stop minting at this location at once; the cron publishes the revocation", async () => {
    const created = await create();
    const second = await rotate(created.id, 3600);
    const retired = await admin(
      { kv: failKvWrites },
      "DELETE",
      `/credentials/${created.id}/secrets/${created.secrets[0]?.id}`,
    );
    expect(retired.status).toBe(200);
    expect(await mint(created.id, created.client_secret)).toBe(401);
    expect(await mint(created.id, second)).toBe(200);

    const { label: name } = (await (await t.admin("GET", `/credentials/${created.id}`)).json()) as { label: string };
    const revoked = await admin({ kv: failKvWrites }, "POST", `/credentials/${created.id}/revoke`, {
      confirm_label: name,
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ id: created.id, status: "revoked" });
    expect(await mint(created.id, second)).toBe(401);
    expect(await kvEntry(created.id)).toMatchObject({ revoked: false });

    await runCron();
    expect(await kvEntry(created.id)).toMatchObject({
      revoked: true,
      retired: expect.arrayContaining([created.secrets[0]?.id]),
    });
  });

  it("redeem answers 200 with the secret, which mints", async () => {
    const res = await t.admin("POST", "/credentials", {
      label: label(),
      grants,
      delivery: "setup_code",
      mode: "secret",
    });
    const { id, setup_code } = (await res.json()) as { id: string; setup_code: { code: string } };
    const { res: redeemed } = await callWith(faultyEnv({ kv: failKvWrites }), "/setup/redeem", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp() },
      body: JSON.stringify({ code: setup_code.code, mode: "secret" }),
    });
    expect(redeemed.status).toBe(200);
    const body = (await redeemed.json()) as { client_secret: string };
    expect(await mint(id, body.client_secret)).toBe(200);
    const row = await sync(id);
    expect(row?.published_at).toBeLessThan(row?.changed_at ?? 0);
  });

  it("retries a failed publish in the background (waitUntil)", async () => {
    let failures = 1;
    const plan: FaultPlan = { kv: (op) => op === "put" && failures-- > 0 };
    const { res, ctx } = await adminWith(faultyEnv(plan), t.adminToken, "POST", "/credentials", {
      label: label(),
      grants,
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as Created;
    expect(await kvEntry(id)).toBeNull();
    await waitOnExecutionContext(ctx);
    expect(await kvEntry(id)).toEqual({ revoked: false, retired: [], updatedAt: expect.any(Number) });
    const row = await sync(id);
    expect(row?.published_at).toBe(row?.changed_at);
  });
});

describe("a failing D1", () => {
  it("before the commit: create, rotate, retire and revoke answer 503 and write nothing", async () => {
    const events = () => count("SELECT count(*) AS n FROM audit_events WHERE tenant_id = ?", t.tenantId);
    const before = await events();
    const name = label();
    await expectUnavailable(await admin({ d1: failCommit }, "POST", "/credentials", { label: name, grants }));
    expect(await count("SELECT count(*) AS n FROM credentials WHERE label = ?", name)).toBe(0);

    const created = await create();
    const afterCreate = await events();
    await expectUnavailable(
      await admin({ d1: failCommit }, "POST", `/credentials/${created.id}/secrets`, { grace_period_seconds: 0 }),
    );
    await expectUnavailable(
      await admin({ d1: failCommit }, "DELETE", `/credentials/${created.id}/secrets/${created.secrets[0]?.id}`),
    );
    const view = (await (await t.admin("GET", `/credentials/${created.id}`)).json()) as { label: string };
    await expectUnavailable(
      await admin({ d1: failCommit }, "POST", `/credentials/${created.id}/revoke`, { confirm_label: view.label }),
    );
    expect(await events()).toBe(afterCreate);
    expect(afterCreate).toBe((before ?? 0) + 1);
    expect(
      await count(
        "SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ? AND retired_at IS NULL AND expires_at IS NULL",
        created.id,
      ),
    ).toBe(1);
    expect((await sync(created.id))?.status).toBe("active");
    expect(await mint(created.id, created.client_secret)).toBe(200);
  });

  it("a statement failing inside the batch leaves nothing half-written", async () => {
    const created = await create();
    const drop = await failingTrigger(
      "audit_events",
      "INSERT",
      `NEW.target_id = '${created.id}' AND NEW.action = 'credential.secret.rotate'`,
    );
    try {
      const res = await t.admin("POST", `/credentials/${created.id}/secrets`, { grace_period_seconds: 0 });
      expect(res.status).toBe(503);
    } finally {
      await drop();
    }
    expect(await count("SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ?", created.id)).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ? AND expires_at IS NOT NULL",
        created.id,
      ),
    ).toBe(0);
    expect(await mint(created.id, created.client_secret)).toBe(200);
  });

  it("after the commit: create, rotate, retire, revoke and redeem answer what they committed; the cron publishes", async () => {
    const res = await admin({ d1: failAfterCommit }, "POST", "/credentials", { label: label(), grants });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Created & { label: string };
    expect(await mint(created.id, created.client_secret)).toBe(200);

    const rotated = await admin({ d1: failAfterCommit }, "POST", `/credentials/${created.id}/secrets`, {
      grace_period_seconds: 3600,
    });
    expect(rotated.status).toBe(201);
    const rotatedBody = (await rotated.json()) as { client_secret: string; credential: { id: string; status: string } };
    expect(rotatedBody.credential).toMatchObject({ id: created.id, status: "active" });
    expect(await mint(created.id, rotatedBody.client_secret)).toBe(200);

    const retired = await admin(
      { d1: failAfterCommit },
      "DELETE",
      `/credentials/${created.id}/secrets/${created.secrets[0]?.id}`,
    );
    expect(retired.status).toBe(200);
    expect(await mint(created.id, created.client_secret)).toBe(401);

    const revoked = await admin({ d1: failAfterCommit }, "POST", `/credentials/${created.id}/revoke`, {
      confirm_label: created.label,
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ status: "revoked" });
    expect(await mint(created.id, rotatedBody.client_secret)).toBe(401);
    expect(await count("SELECT count(*) AS n FROM audit_events WHERE target_id = ?", created.id)).toBe(4);

    const withCode = await t.admin("POST", "/credentials", {
      label: label(),
      grants,
      delivery: "setup_code",
      mode: "secret",
    });
    const { id, setup_code } = (await withCode.json()) as { id: string; setup_code: { code: string } };
    const { res: redeemed } = await callWith(faultyEnv({ d1: failAfterCommit }), "/setup/redeem", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp() },
      body: JSON.stringify({ code: setup_code.code, mode: "secret" }),
    });
    expect(redeemed.status).toBe(200);
    expect(await mint(id, ((await redeemed.json()) as { client_secret: string }).client_secret)).toBe(200);

    await runCron();
    expect(await kvEntry(created.id)).toMatchObject({ revoked: true });
    for (const cid of [created.id, id]) {
      const row = await sync(cid);
      expect(row?.published_at).toBe(row?.changed_at);
    }
  });
});

describe("concurrent rotations", () => {
  it("keep at most two live secrets: one success for the one free slot, the others 409", async () => {
    const created = await create();
    // Every rotation has read one live secret before any of them writes: the check before the batch cannot decide.
    const racing = faultyEnv({ beforeBatch: batchBarrier(6, 'insert into "credential_secrets"') });
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        faultyAdmin(racing, "POST", `/credentials/${created.id}/secrets`, { grace_period_seconds: 3600 }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(await r.json()).toMatchObject({
        code: "conflict",
        detail: "This credential already has two live secrets. Retire one before rotating again.",
      });
    }
    const nowMs = Date.now();
    expect(
      await count(
        "SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ? AND retired_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
        created.id,
        nowMs,
      ),
    ).toBe(2);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE target_id = ? AND action = 'credential.secret.rotate'",
        created.id,
      ),
    ).toBe(1);
  });
});

describe("expired secrets and keys", () => {
  it("are retired by the cron, never loaded for authentication, and leave the KV entry 24 h after they expired", async () => {
    const created = await create();
    vi.useFakeTimers({ toFake: ["Date"] });
    let now = Date.now();
    for (let i = 0; i < 20; i += 1) {
      await rotate(created.id, 60);
      now += 61_000;
      vi.setSystemTime(now);
    }
    const loaded = await findForAuthentication(primaryDb(env.DB), created.id, now);
    expect(loaded?.secrets).toHaveLength(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ? AND retired_at IS NULL",
        created.id,
      ),
    ).toBe(21);

    await runCron(now);
    expect(
      await count(
        "SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ? AND retired_at IS NULL",
        created.id,
      ),
    ).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM credential_secrets WHERE credential_id = ? AND retired_at = expires_at",
        created.id,
      ),
    ).toBe(20);
    const entry = (await kvEntry(created.id)) as { retired: string[] };
    expect(entry.retired).toHaveLength(20);
    const view = (await (await t.admin("GET", `/credentials/${created.id}`)).json()) as {
      secrets: { status: string }[];
    };
    expect(view.secrets.map((s) => s.status)).toEqual(["active", ...Array(20).fill("expired")]);

    now += 25 * 3_600_000;
    vi.setSystemTime(now);
    await runCron(now);
    expect(await kvEntry(created.id)).toEqual({ revoked: false, retired: [], updatedAt: now });
    expect((await findForAuthentication(primaryDb(env.DB), created.id, now))?.secrets).toHaveLength(1);

    // Converged: the next hour's cron finds nothing to republish, so the entry (and every isolate's cache) stays.
    const settled = now;
    now += 3_600_000;
    vi.setSystemTime(now);
    await runCron(now);
    expect(await kvEntry(created.id)).toEqual({ revoked: false, retired: [], updatedAt: settled });
  }, 30_000);
});
