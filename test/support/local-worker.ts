/**
 * The real Worker under a copy of the test bindings with other vars (a loopback ISSUER, so loopback http
 * webhook endpoints are accepted as in local development; a key-set URL on a local server), called
 * through its own fetch/queue/scheduled handlers with an execution context whose background work is awaited.
 * A recording queue forwards every send to the real queue and remembers it, so tests can say what was queued.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { type Env, getConfig } from "../../src/config";
import { MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../../src/domain/management";
import { issuerFor } from "../../src/domain/realms";
import worker from "../../src/index";
import { createCredential } from "../../src/services/credentials";
import { ensureTenant } from "../../src/services/tenants";
import type { WebhookMessage } from "../../src/services/webhook-events";
import { primaryDb } from "../../src/storage/db";
import { encodeForm, env, freshIp, testContext } from "./harness";

/** The bindings with `vars` replaced and a queue that records what it forwards; `sent` lists it. */
export function localEnv(vars: Partial<Env>): Env & { sent: WebhookMessage[] } {
  const sent: WebhookMessage[] = [];
  const real = env.WEBHOOK_QUEUE;
  const queue = {
    send: async (body: unknown, options?: QueueSendOptions) => {
      sent.push(body as WebhookMessage);
      return real.send(body, options);
    },
    sendBatch: async (messages: Iterable<MessageSendRequest<unknown>>, options?: QueueSendBatchOptions) => {
      const list = [...messages];
      sent.push(...list.map((m) => m.body as WebhookMessage));
      return real.sendBatch(list, options);
    },
  } as unknown as Queue<unknown>;
  return Object.assign({ ...env, ...vars, WEBHOOK_QUEUE: queue }, { sent });
}

/** Sends a request to the Worker under `bindings` and waits for its background work. */
export async function localCall(bindings: Env, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshIp());
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, { ...init, headers }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * A tenant with a full management credential, its token minted under `bindings` at the tenant's own token
 * endpoint (`issuerFor`: docs/realms.md), and an admin caller (the admin API is at the root for every tenant).
 */
export async function setupLocalTenant(bindings: Env, tenantId: string) {
  const issuer = bindings.ISSUER;
  const scopes = MANAGEMENT_SCOPES.map((s) => s.name);
  await ensureTenant(primaryDb(env.DB), tenantId, tenantId, Date.now());
  const who = { tenantId, actor: "test:setup", ip: null, userAgent: null, authority: new Set(scopes) };
  const input = {
    grants: [{ resource: MANAGEMENT_RESOURCE, scopes }],
    groups: [],
    expiresAt: null,
    tokenLifetime: null,
  };
  const created = await createCredential(testContext(bindings), who, { ...input, label: "admin" }, Date.now());
  const res = await localCall(bindings, `${issuerFor(getConfig(bindings), tenantId)}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${encodeForm(created.credential.id)}:${encodeForm(created.clientSecret)}`)}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE }).toString(),
  });
  if (res.status !== 200) throw new Error(`admin mint failed: ${res.status} ${await res.text()}`);
  const token = ((await res.json()) as { access_token: string }).access_token;
  const admin = (method: string, path: string, body?: unknown) =>
    localCall(bindings, `${issuer}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { tenantId, who, admin, adminClientId: created.credential.id };
}

/** Runs the Worker's queue handler on `batch` under `bindings`. */
export async function runQueue(bindings: Env, batch: MessageBatch<unknown>) {
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  return ctx;
}

/** Runs the Worker's cron handler at `scheduledTime` under `bindings` and waits for its background work. */
export async function runCron(bindings: Env, controller: ScheduledController): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(controller, bindings, ctx);
  await waitOnExecutionContext(ctx);
}
