/**
 * What the token endpoint tells operators: exactly one token_minted event per mint, attributed to `svc:<label>`
 * and naming the token by its jti; a failed client authentication logs one oauth_error event with its private
 * reason and the path. Never the secret that was tried, the real one, or the token.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { setLogSink } from "../../src/log";
import { MANAGEMENT_RESOURCE } from "../../src/domain/management";
import { freshIp, setupTenant, tokenRequest, type TestTenant } from "../support/harness";

let tenant: TestTenant;

beforeAll(async () => {
  tenant = await setupTenant("default");
});

afterEach(() => setLogSink());

describe("log events of the token endpoint", () => {
  it("logs one oauth_error with its reason and no secret for a wrong secret", async () => {
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    const tried = "not-the-secret-but-long-enough-to-be-tried";
    const res = await tokenRequest(
      { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
      { basic: [tenant.adminClientId, tried], ip: freshIp() },
    );
    expect(res.status).toBe(401);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const errors = events.filter((e) => e.event === "oauth_error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual({
      event: "oauth_error",
      error: "invalid_client",
      reason: expect.any(String),
      path: "/oauth/token",
    });
    expect(String(errors[0]?.reason).length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain(tried);
      expect(line).not.toContain(tenant.adminSecret);
    }
  });

  it("logs exactly one token_minted per mint, with its attribution and jti, and never the secret or token", async () => {
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    const res = await tokenRequest(
      { grant_type: "client_credentials", resource: MANAGEMENT_RESOURCE },
      { basic: [tenant.adminClientId, tenant.adminSecret], ip: freshIp() },
    );
    expect(res.status).toBe(200);
    const { access_token: token, scope } = (await res.json()) as { access_token: string; scope: string };
    const jti = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).jti as string;
    const minted = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === "token_minted");
    expect(minted).toEqual([
      {
        event: "token_minted",
        actor: expect.stringMatching(/^svc:/),
        client_id: tenant.adminClientId,
        tenant: tenant.tenantId,
        method: "client_secret_basic",
        aud: MANAGEMENT_RESOURCE,
        scope,
        jti,
        exp: expect.any(Number),
      },
    ]);
    for (const line of lines) {
      expect(line).not.toContain(tenant.adminSecret);
      expect(line).not.toContain(token);
    }
  });
});
