/**
 * POST /secret-scanning/github against a REAL key-set server on 127.0.0.1 whose keys sign reports the way
 * GitHub does (node:crypto, ECDSA P-256 SHA-256, base64 DER): a signed report retires the secret at once
 * (the next mint is 401), a forged or unknown-key signature is 401 and changes nothing, mixed true and false
 * positives are labelled in order, a setup code is cancelled, and the notify-only policy leaves the secret.
 */
import { describe, expect, inject, it, vi } from "vitest";
import { MANAGEMENT_RESOURCE } from "../../src/domain/management";
import { newClientSecret, newSetupCode } from "../../src/crypto/secrets";
import { forgetKeySet } from "../../src/services/github-key-set";
import type { WebhookMessage } from "../../src/services/webhook-events";
import { env, freshIp, ISSUER, setupTenant, tokenRequest, type TestTenant } from "../support/harness";
import { localCall, localEnv } from "../support/local-worker";
import { expectInvalidClient, expectProblem, type Json } from "../support/wire";

const KEYS = inject("keySetUrl");
const bindings = localEnv({ SECRET_SCANNING_KEYS_URL: `${KEYS}/keys` });
const grants = [{ resource: MANAGEMENT_RESOURCE, scopes: ["audit:read"] }];

async function signed(body: string, key = "current"): Promise<string> {
  return (await fetch(`${KEYS}/sign?key=${key}`, { method: "POST", body })).text();
}

async function report(entries: unknown, opts: { key?: string; keyId?: string; signature?: string } = {}) {
  const body = JSON.stringify(entries);
  return localCall(bindings, `${ISSUER}/secret-scanning/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "github-public-key-identifier": opts.keyId ?? opts.key ?? "current",
      "github-public-key-signature": opts.signature ?? (await signed(body, opts.key)),
    },
    body,
  });
}

async function credentialWithSecret(t: TestTenant, label: string) {
  const made = (await (await t.admin("POST", "/credentials", { label, grants })).json()) as Json;
  return { id: made.id as string, secret: made.client_secret as string };
}

const mint = (id: string, secret: string) =>
  tokenRequest(
    { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
    { basic: [id, secret], ip: freshIp() },
  );

const leakEvents = () =>
  bindings.sent.filter(
    (m): m is Extract<WebhookMessage, { kind: "event" }> => m.kind === "event" && m.event.type === "secret.leaked",
  );

describe("leaked-secret reports", () => {
  it("retires a reported secret at once: labelled true_positive, audited, secret.leaked queued, next mint 401", async () => {
    const t = await setupTenant("scan-retire");
    const { id, secret } = await credentialWithSecret(t, "leaky");
    expect((await mint(id, secret)).status).toBe(200);
    const where = { url: "https://github.com/acme/app/blob/abc/config.yml", source: "content" };
    const res = await report([{ token: secret, type: "latchkey_client_secret", ...where }]);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual([
      { token_raw: secret, token_type: "latchkey_client_secret", label: "true_positive" },
    ]);
    await expectInvalidClient(await mint(id, secret), { basicChallenge: true });

    const audit = (await (await t.admin("GET", `/audit?action=secret.leak_reported`)).json()) as Json;
    expect(audit.events).toEqual([
      expect.objectContaining({
        actor: "system:secret-scanning",
        target_id: id,
        detail: expect.objectContaining({ kind: "secret", outcome: "retired", ...where }),
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(secret);
    const [event] = leakEvents().filter((m) => m.event.subject === id);
    expect(event?.event).toMatchObject({
      tenantId: "scan-retire",
      data: { client_id: id, action: "retired", ...where },
    });
    expect(JSON.stringify(bindings.sent)).not.toContain(secret);
  });

  it("refuses a forged signature, an unknown key id and missing headers with 401, changing nothing", async () => {
    const t = await setupTenant("scan-forged");
    const { id, secret } = await credentialWithSecret(t, "target");
    const entries = [{ token: secret, type: "latchkey_client_secret", url: null, source: "content" }];
    const forged = await signed(JSON.stringify(entries), "forger");
    const cases = [
      await report(entries, { keyId: "current", signature: forged }),
      await report(entries, { key: "forger" }),
      await report(entries, { signature: "MEUCIQ==" }),
      await localCall(bindings, `${ISSUER}/secret-scanning/github`, { method: "POST", body: JSON.stringify(entries) }),
    ];
    for (const res of cases) await expectProblem(res, 401, "invalid_signature");
    const tampered = JSON.stringify([{ ...entries[0], url: "https://evil.example" }]);
    await expectProblem(
      await localCall(bindings, `${ISSUER}/secret-scanning/github`, {
        method: "POST",
        headers: {
          "github-public-key-identifier": "current",
          "github-public-key-signature": await signed(JSON.stringify(entries)),
        },
        body: tampered,
      }),
      401,
      "invalid_signature",
    );
    expect((await mint(id, secret)).status).toBe(200);
    const audit = (await (await t.admin("GET", `/audit?action=secret.leak_reported`)).json()) as Json;
    expect(audit.events).toEqual([]);
  });

  it("labels mixed reports in order: real secrets and setup codes true, unknown and malformed false", async () => {
    const t = await setupTenant("scan-mixed");
    const { id, secret } = await credentialWithSecret(t, "mixed");
    const coded = (await (
      await t.admin("POST", "/credentials", { label: "coded", grants, delivery: "setup_code", mode: "secret" })
    ).json()) as Json;
    const code = coded.setup_code.code as string;
    const unknown = await newClientSecret();
    const typo = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    const entries = [
      { token: secret, type: "latchkey_client_secret", url: "https://gist.github.com/x", source: "gist" },
      { token: unknown, type: "latchkey_client_secret" },
      { token: typo, type: "latchkey_client_secret" },
      { token: code, type: "latchkey_setup_code", source: "issue" },
      { token: await newSetupCode(), type: "latchkey_setup_code" },
      { token: "ghp_notours", type: "other" },
      { type: "no_token" },
      "not an object",
      { token: secret, type: "latchkey_client_secret" },
    ];
    const res = await report(entries);
    expect(res.status).toBe(200);
    const labels = ((await res.json()) as Json[]).map((r) => [r.token_raw, r.label]);
    expect(labels).toEqual([
      [secret, "true_positive"],
      [unknown, "false_positive"],
      [typo, "false_positive"],
      [code, "true_positive"],
      [entries[4] && (entries[4] as Json).token, "false_positive"],
      ["ghp_notours", "false_positive"],
      ["", "false_positive"],
      ["", "false_positive"],
      [secret, "true_positive"],
    ]);
    await expectInvalidClient(await mint(id, secret), { basicChallenge: true });
    const row = await env.DB.prepare("select status from setup_codes where credential_id = ?").bind(coded.id).first();
    expect(row).toEqual({ status: "cancelled" });
    const audit = (await (await t.admin("GET", `/audit?action=secret.leak_reported`)).json()) as Json;
    expect(audit.events.map((e: Json) => [e.target_id, e.detail.kind, e.detail.outcome]).sort()).toEqual(
      [
        [id, "secret", "retired"],
        [coded.id, "setup_code", "cancelled"],
      ].sort(),
    );
  });

  it("only notifies under the notify policy, and refetches the key set for a rotated key", async () => {
    const t = await setupTenant("scan-notify");
    const put = await t.admin("PUT", "/alert-settings", { leaked_secret_action: "notify", stale_after_days: 14 });
    expect(await put.json()).toEqual({ leaked_secret_action: "notify", stale_after_days: 14 });
    const { id, secret } = await credentialWithSecret(t, "kept");
    expect((await fetch(`${KEYS}/publish`, { method: "POST", body: "current,rotated" })).status).toBe(204);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 2 * 60_000);
      const res = await report([{ token: secret, type: "latchkey_client_secret" }], { key: "rotated" });
      expect(((await res.json()) as Json[])[0]?.label).toBe("true_positive");
    } finally {
      vi.useRealTimers();
      forgetKeySet();
      await fetch(`${KEYS}/publish`, { method: "POST", body: "current" });
    }
    expect((await mint(id, secret)).status).toBe(200);
    const audit = (await (await t.admin("GET", `/audit?action=secret.leak_reported`)).json()) as Json;
    expect(audit.events.map((e: Json) => e.detail.outcome)).toEqual(["notified"]);
    const [event] = leakEvents().filter((m) => m.event.subject === id);
    expect(event?.event.data).toMatchObject({ action: "notified" });
  });

  it("caps the body and refuses a verified body that is not an array", async () => {
    const big = "x".repeat(300 * 1024);
    const res = await localCall(bindings, `${ISSUER}/secret-scanning/github`, {
      method: "POST",
      headers: { "github-public-key-identifier": "current", "github-public-key-signature": "AAAA" },
      body: big,
    });
    await expectProblem(res, 413, "payload_too_large");
    await expectProblem(await report({ token: "x" }), 400, "invalid_request");
  });
});
