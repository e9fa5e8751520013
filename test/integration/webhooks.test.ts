/**
 * Webhooks end to end: endpoints through the admin API (https only, loopback http only under a loopback
 * issuer, the whsec_ secret shown once), deliveries through the REAL queue (the pool runs this Worker's queue
 * consumer) to a REAL receiver on 127.0.0.1 that verifies every signature with the standardwebhooks library,
 * retries, timeouts and the dead letter driven through the Worker's queue handler with MessageBatches from
 * the pool's createMessageBatch/getQueueResult (so attempt counts and backoff are asserted without waiting
 * for the platform's delays), and the cron's time-based events at injected times.
 */
import { createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import { deliveryOf, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS } from "../../src/services/webhook-delivery";
import { createEndpoint } from "../../src/services/webhook-endpoints";
import { resealWebhookSecrets } from "../../src/services/webhook-reseal";
import { keyId } from "../../src/crypto/key-id";
import { SUBSCRIBABLE_EVENT_TYPES } from "../../src/domain/webhook-events";
import { newWebhookEvent, type WebhookMessage } from "../../src/services/webhook-events";
import { primaryDb } from "../../src/storage/db";
import { insertDeliveries } from "../../src/storage/webhooks";
import type { ReceivedWebhook } from "../support/outside-servers.global";
import { env, setupTenant, testContext } from "../support/harness";
import { localEnv, runCron, runQueue, setupLocalTenant } from "../support/local-worker";
import { expectProblem, type Json } from "../support/wire";

const RECEIVER = inject("webhookReceiverUrl");
const ISSUER = "http://127.0.0.1:8787";
const QUEUE = "latchkey-webhooks";
const local = localEnv({ ISSUER, WEBHOOK_TIMEOUT_SECONDS: "1" });
const db = primaryDb(env.DB);
const DAY = 86_400_000;

/** Tells the receiver the secret of `name`, so it verifies what arrives there. */
async function shareSecret(name: string, secret: string) {
  expect((await fetch(`${RECEIVER}/_secret/${name}`, { method: "PUT", body: secret })).status).toBe(204);
}

/** Waits (on the receiver, which answers once it has them) for `count` requests to `name`. */
async function received(name: string, count: number): Promise<ReceivedWebhook[]> {
  const list = (await (await fetch(`${RECEIVER}/_requests/${name}?count=${count}`)).json()) as ReceivedWebhook[];
  expect(list.length, `requests at ${name}`).toBeGreaterThanOrEqual(count);
  return list;
}

/** Waits for `count` requests to `name` about `subject` (the tenant's own admin credential may come too). */
async function receivedAbout(name: string, subject: string, count: number): Promise<ReceivedWebhook[]> {
  for (let total = count; total < count + 5; total++) {
    const about = (await received(name, total)).filter((h) => (JSON.parse(h.body) as Json).subject === subject);
    if (about.length >= count) return about;
  }
  throw new Error(`fewer than ${count} requests about ${subject} at ${name}`);
}

/** Polls `read` until `done` holds: for state the queue consumer writes after the receiver answered. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("condition never held");
}

async function endpointAt(tenantId: string, name: string, mode: "ok" | "fail" | "slow", types: string[]) {
  const who = { tenantId, actor: "test:setup", ip: null, userAgent: null, authority: new Set<string>() };
  const input = { url: `${RECEIVER}/${mode}/${name}`, description: name, eventTypes: types };
  const created = await createEndpoint(testContext(local), who, input, Date.now());
  await shareSecret(name, created.secret);
  return created.endpoint;
}

describe("webhook endpoints through the admin API", () => {
  it("creates with a whsec_ secret shown once, lists and reads without it, audits, deletes", async () => {
    const t = await setupLocalTenant(local, "wh-crud");
    const res = await t.admin("POST", "/webhooks", {
      url: "https://hooks.example.com/latchkey",
      event_types: ["credential.created", "secret.leaked"],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = (await res.json()) as Json;
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({
      url: "https://hooks.example.com/latchkey",
      event_types: ["credential.created", "secret.leaked"],
      enabled: true,
      secret_hint: created.secret.slice(0, 10),
    });
    expect(res.headers.get("location")).toBe(`/api/v1/webhooks/${created.id}`);
    const listed = await (await t.admin("GET", "/webhooks")).text();
    expect(JSON.parse(listed).event_types).toEqual([...SUBSCRIBABLE_EVENT_TYPES]);
    const read = await (await t.admin("GET", `/webhooks/${created.id}`)).text();
    for (const text of [listed, read]) {
      expect(text).toContain(created.id);
      expect(text).not.toContain(created.secret);
    }
    const audit = (await (await t.admin("GET", `/audit?target=${created.id}`)).json()) as Json;
    expect(audit.events.map((e: Json) => e.action)).toEqual(["webhook_endpoint.create"]);
    expect(JSON.stringify(audit)).not.toContain(created.secret.slice(6));

    const rotated = (await (await t.admin("PATCH", `/webhooks/${created.id}`, { rotate_secret: true })).json()) as Json;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const del = await t.admin("DELETE", `/webhooks/${created.id}`);
    expect(del.status).toBe(204);
    await expectProblem(await t.admin("GET", `/webhooks/${created.id}`), 404, "not_found");
  });

  it("refuses plain http, loopback http under a public issuer, unknown events, and callers without the scope", async () => {
    const t = await setupLocalTenant(local, "wh-refuse");
    const body = (url: string, event_types = ["credential.created"]) => ({ url, event_types });
    for (const url of [
      "http://hooks.example.com/x",
      "ftp://hooks.example.com/x",
      "https://u:p@hooks.example.com/",
      "nope",
    ]) {
      await expectProblem(await t.admin("POST", "/webhooks", body(url)), 400, "invalid_request", { why: url });
    }
    await expectProblem(
      await t.admin("POST", "/webhooks", body("https://hooks.example.com/x", ["credential.eaten"])),
      400,
      "invalid_request",
    );
    expect((await t.admin("POST", "/webhooks", body(`${RECEIVER}/ok/loop`))).status).toBe(201);

    const deployed = await setupTenant("wh-deployed");
    await expectProblem(await deployed.admin("POST", "/webhooks", body(`${RECEIVER}/ok/x`)), 400, "invalid_request", {
      fields: { detail: "url must use https (plain http only to a loopback host in local development)." },
    });
    const reader = await setupTenant("wh-reader", ["credentials:read", "webhooks:read"]);
    await expectProblem(await reader.admin("POST", "/webhooks", body("https://hooks.example.com/x")), 403, "forbidden");
    expect((await reader.admin("GET", "/webhooks")).status).toBe(200);
  });
});

describe("delivery through the real queue to a real receiver", () => {
  it("sends a signed test event and logs it as delivered", async () => {
    const t = await setupLocalTenant(local, "wh-test-event");
    const created = (await (
      await t.admin("POST", "/webhooks", { url: `${RECEIVER}/ok/test-event`, event_types: ["secret.leaked"] })
    ).json()) as Json;
    await shareSecret("test-event", created.secret);
    const res = await t.admin("POST", `/webhooks/${created.id}/test`);
    expect(res.status).toBe(202);
    const queued = (await res.json()) as Json;
    expect(queued).toMatchObject({ event_type: "webhook.test", status: "pending", attempts: 0 });

    const [hit] = await received("test-event", 1);
    expect(hit?.verified).toBe(true);
    expect(hit?.id).toBe(queued.event_id);
    expect(Math.abs(Number(hit?.timestamp) - Date.now() / 1000)).toBeLessThan(300);
    expect(hit?.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(JSON.parse(hit?.body ?? "{}")).toMatchObject({
      id: queued.event_id,
      type: "webhook.test",
      tenant: "wh-test-event",
      data: { endpoint: created.id },
    });
    const log = await eventually(
      async () => (await (await t.admin("GET", `/webhooks/${created.id}/deliveries`)).json()) as Json,
      (l) => l.deliveries[0]?.status === "delivered",
    );
    expect(log.deliveries).toEqual([
      expect.objectContaining({ event_id: queued.event_id, status: "delivered", attempts: 1, last_status: 200 }),
    ]);
  });

  it("fans credential.created, secret_rotated and revoked out to subscribed endpoints only", async () => {
    const t = await setupLocalTenant(local, "wh-fanout");
    await endpointAt(t.tenantId, "fanout", "ok", [
      "credential.created",
      "credential.secret_rotated",
      "credential.revoked",
    ]);
    const other = await endpointAt(t.tenantId, "fanout-other", "ok", ["secret.leaked"]);
    const made = (await (
      await t.admin("POST", "/credentials", {
        label: "ci-deploy",
        grants: [{ resource: "urn:latchkey:management", scopes: ["audit:read"] }],
      })
    ).json()) as Json;
    expect((await t.admin("POST", `/credentials/${made.id}/secrets`, {})).status).toBe(201);
    expect((await t.admin("POST", `/credentials/${made.id}/revoke`, { confirm_label: "ci-deploy" })).status).toBe(200);

    const hits = await receivedAbout("fanout", made.id, 3);
    expect(hits.every((h) => h.verified)).toBe(true);
    const bodies = hits.map((h) => JSON.parse(h.body) as Json).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    expect(new Set(bodies.map((b) => b.type))).toEqual(
      new Set(["credential.created", "credential.secret_rotated", "credential.revoked"]),
    );
    for (const b of bodies)
      expect(b).toMatchObject({ subject: made.id, data: { client_id: made.id, label: "ci-deploy" } });
    expect(JSON.stringify(bodies)).not.toContain(made.client_secret);
    const otherLog = (await (await t.admin("GET", `/webhooks/${other.id}/deliveries`)).json()) as Json;
    expect(otherLog.deliveries).toEqual([]);
  });
});

/** A delivery of a fresh event to `endpoint`, with its log row written, not sent to the queue. */
async function handMadeDelivery(endpoint: Parameters<typeof deliveryOf>[1]) {
  const event = newWebhookEvent({ tenantId: endpoint.tenantId, type: "credential.created", data: { n: 1 } });
  const delivery = deliveryOf(event, endpoint, Date.now());
  await db.batch([insertDeliveries(db, [delivery.row])]);
  return delivery;
}

/**
 * One attempt through the Worker's queue handler; getQueueResult gives the acks and retries, and a spy on
 * the real message's retry gives the delay asked for (the pool's result does not carry it).
 */
async function attemptOnce(bindings: typeof local, message: WebhookMessage, attempts: number) {
  const batch = createMessageBatch(QUEUE, [{ id: `m-${attempts}`, timestamp: new Date(), attempts, body: message }]);
  const retry = vi.spyOn(batch.messages[0] as Message<unknown>, "retry");
  const result = await getQueueResult(batch, await runQueue(bindings, batch));
  return { ...result, delays: retry.mock.calls.map(([options]) => options?.delaySeconds) };
}

describe("retries, timeouts and dead letters (the queue handler driven with real MessageBatches)", () => {
  it("retries a 500 with backoff under the same webhook-id, then writes a dead letter after the last try", async () => {
    const { tenantId } = await setupLocalTenant(local, "wh-dead");
    const endpoint = await endpointAt(tenantId, "dead", "fail", ["credential.created"]);
    const delivery = await handMadeDelivery(endpoint);
    for (let attempt = 1; attempt < WEBHOOK_MAX_ATTEMPTS; attempt++) {
      const result = await attemptOnce(local, delivery.message, attempt);
      expect(result.retryMessages, `attempt ${attempt}`).toEqual([{ msgId: `m-${attempt}` }]);
      expect(result.delays, `attempt ${attempt}`).toEqual([WEBHOOK_RETRY_DELAYS_SECONDS[attempt - 1]]);
      expect(result.explicitAcks).toEqual([]);
    }
    const last = await attemptOnce(local, delivery.message, WEBHOOK_MAX_ATTEMPTS);
    expect(last.explicitAcks).toEqual([`m-${WEBHOOK_MAX_ATTEMPTS}`]);
    expect(last.retryMessages).toEqual([]);

    const hits = (await received("dead", WEBHOOK_MAX_ATTEMPTS)).filter((h) => h.id === delivery.row.eventId);
    expect(hits).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    expect(hits.every((h) => h.verified)).toBe(true);
    const row = await env.DB.prepare(
      "select status, attempts, last_status, last_error from webhook_deliveries where id = ?",
    )
      .bind(delivery.row.id)
      .first();
    expect(row).toEqual({ status: "dead", attempts: WEBHOOK_MAX_ATTEMPTS, last_status: 500, last_error: "HTTP 500" });
    const dead = await env.DB.prepare(
      "select event_id, attempts, last_error, payload from webhook_dead_letters where delivery_id = ?",
    )
      .bind(delivery.row.id)
      .first<Json>();
    expect(dead).toMatchObject({
      event_id: delivery.row.eventId,
      attempts: WEBHOOK_MAX_ATTEMPTS,
      last_error: "HTTP 500",
    });
    expect(JSON.parse(dead?.payload)).toMatchObject({ id: delivery.row.eventId, type: "credential.created" });
  });

  it("counts a receiver that does not answer in time as failed and retries it; a later success is logged", async () => {
    const t = await setupLocalTenant(local, "wh-slow");
    const endpoint = await endpointAt(t.tenantId, "slow", "slow", ["credential.created"]);
    const delivery = await handMadeDelivery(endpoint);
    const first = await attemptOnce(local, delivery.message, 1);
    expect(first.retryMessages).toEqual([{ msgId: "m-1" }]);
    expect(first.delays).toEqual([WEBHOOK_RETRY_DELAYS_SECONDS[0]]);
    const logged = async () =>
      ((await (await t.admin("GET", `/webhooks/${endpoint.id}/deliveries`)).json()) as Json).deliveries.find(
        (d: Json) => d.id === delivery.row.id,
      );
    expect(await logged()).toMatchObject({ status: "retrying", attempts: 1, last_status: null, last_error: "timeout" });
    expect((await logged()).next_attempt_at).toEqual(expect.any(String));

    expect((await t.admin("PATCH", `/webhooks/${endpoint.id}`, { url: `${RECEIVER}/ok/slow` })).status).toBe(200);
    const second = await attemptOnce(local, delivery.message, 2);
    expect(second.explicitAcks).toEqual(["m-2"]);
    const hits = (await received("slow", 2)).filter((h) => h.id === delivery.row.eventId);
    expect(hits.map((h) => [h.mode, h.id, h.verified])).toEqual([
      ["slow", delivery.row.eventId, true],
      ["ok", delivery.row.eventId, true],
    ]);
    expect(await logged()).toMatchObject({ status: "delivered", attempts: 2, last_status: 200, last_error: null });
  });

  it("drops deliveries of a deleted endpoint and acknowledges messages that are not its own", async () => {
    const t = await setupLocalTenant(local, "wh-gone");
    const endpoint = await endpointAt(t.tenantId, "gone", "ok", ["credential.created"]);
    const delivery = await handMadeDelivery(endpoint);
    expect((await t.admin("DELETE", `/webhooks/${endpoint.id}`)).status).toBe(204);
    expect((await attemptOnce(local, delivery.message, 1)).explicitAcks).toEqual(["m-1"]);
    const junk = await attemptOnce(local, { kind: "nonsense" } as unknown as WebhookMessage, 1);
    expect(junk.explicitAcks).toEqual(["m-1"]);
  });
});

describe("time-based events from the cron", () => {
  it("sends credential.expiring 7 days and 1 day before, secret.expiring and credential.stale, each once", async () => {
    const now = Date.now();
    const bindings = localEnv({ ISSUER });
    const t = await setupLocalTenant(bindings, "wh-cron");
    await endpointAt(t.tenantId, "cron", "ok", ["credential.expiring", "secret.expiring", "credential.stale"]);
    const grants = [{ resource: "urn:latchkey:management", scopes: ["audit:read"] }];
    const expiring = (await (
      await t.admin("POST", "/credentials", {
        label: "expiring",
        grants,
        expires_at: new Date(now + 6.5 * DAY).toISOString(),
      })
    ).json()) as Json;
    expect(
      (await t.admin("POST", `/credentials/${expiring.id}/secrets`, { grace_period_seconds: 3 * 86_400 })).status,
    ).toBe(201);
    const ctx = testContext(bindings);
    const input = { label: "forgotten", grants, groups: [], expiresAt: null, tokenLifetime: null };
    const { createCredential } = await import("../../src/services/credentials");
    const forgotten = await createCredential(
      ctx,
      { ...t.who, authority: new Set(["audit:read"]) },
      input,
      now - 40 * DAY,
    );

    const cronEvents = async (at: number) => {
      bindings.sent.length = 0;
      await runCron(bindings, createScheduledController({ scheduledTime: at, cron: "17 * * * *" }));
      return bindings.sent
        .filter((m): m is Extract<WebhookMessage, { kind: "event" }> => m.kind === "event")
        .map((m) => `${m.event.type} ${m.event.subject} ${m.event.data.days ?? ""}`.trim())
        .sort();
    };
    expect(await cronEvents(now)).toEqual([
      `credential.expiring ${expiring.id} 7`,
      `credential.stale ${forgotten.credential.id}`,
      `secret.expiring ${expiring.id} 7`,
    ]);
    expect(await cronEvents(now + 3_600_000)).toEqual([]);
    const dayBefore = now + 5.75 * DAY;
    expect(await cronEvents(dayBefore)).toEqual([`credential.expiring ${expiring.id} 1`]);
    expect(await cronEvents(dayBefore + 3_600_000)).toEqual([]);

    const hits = await received("cron", 4);
    expect(hits.every((h) => h.verified)).toBe(true);
    const stale = hits.map((h) => JSON.parse(h.body) as Json).find((b) => b.type === "credential.stale");
    expect(stale?.data).toMatchObject({
      client_id: forgotten.credential.id,
      label: "forgotten",
      last_used_at: null,
      stale_after_days: 30,
    });
  });
});

describe("key-encryption-key rotation", () => {
  it("reseals signing secrets under the new key, so deliveries keep verifying once the previous key is gone", async () => {
    const OLD = env.KEY_ENCRYPTION_KEY;
    const NEW = "bmV3LWtlay1uZXcta2VrLW5ldy1rZWstbmV3LWtlay0";
    const { tenantId } = await setupLocalTenant(local, "wh-kek");
    const endpoint = await endpointAt(tenantId, "kek", "ok", ["credential.created"]);
    const rotating = localEnv({ ISSUER, KEY_ENCRYPTION_KEY: NEW, KEY_ENCRYPTION_KEY_PREVIOUS: OLD });
    await resealWebhookSecrets(testContext(rotating));
    const after = await env.DB.prepare("select secret_envelope from webhook_endpoints where id = ?")
      .bind(endpoint.id)
      .first<{ secret_envelope: string }>();
    expect(after?.secret_envelope).not.toBe(endpoint.secretEnvelope);
    expect(after?.secret_envelope.split(".")[1]).toBe(await keyId(NEW));

    const rotated = localEnv({ ISSUER, KEY_ENCRYPTION_KEY: NEW });
    const delivery = await handMadeDelivery(endpoint);
    expect((await attemptOnce(rotated, delivery.message, 1)).explicitAcks).toEqual(["m-1"]);
    const [hit] = (await received("kek", 1)).filter((h) => h.id === delivery.row.eventId);
    expect(hit?.verified).toBe(true);
  });
});
