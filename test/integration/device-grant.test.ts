// The device authorization grant (RFC 8628) and its rotating refresh tokens, end to end in workerd: the start,
// every polling error, expiry on an injected clock, denial, approval by each role and the scopes of the
// resulting person token at the admin API, single redemption, rotation and reuse detection (RFC 9700 4.14),
// and ending the session from the console or with `latchkey logout`'s request. Real D1, real cookies.
// Over 300 lines: one workerd start for the whole grant, each part a describe of its own.
import { decodeJwt } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { OAUTH_DESCRIPTIONS as D } from "../../src/domain/errors";
import { scopesOfRole } from "../../src/domain/roles";
import { call, freshIp, tokenRequest } from "../support/harness";
import { createOwner, invite, type Person } from "../support/console";
import { expectOAuthError, expectProblem, type Json } from "../support/wire";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const CLI = "latchkey-cli";

afterEach(() => vi.useRealTimers());

let owner: Person;
let admin: Person;
let viewer: Person;

beforeAll(async () => {
  owner = await createOwner("owner@device.test", "Olive Owner");
  admin = await invite(owner, "admin@device.test", "admin");
  viewer = await invite(owner, "viewer@device.test", "viewer");
});

function form(path: string, body: Record<string, string>, ip = freshIp()) {
  return call(path, {
    method: "POST",
    ip,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(body).toString(),
  });
}

async function start(hostname = "build-box"): Promise<Json> {
  const res = await form("/oauth/device_authorization", { client_id: CLI, hostname });
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return (await res.json()) as Json;
}

const poll = (deviceCode: string) =>
  tokenRequest({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLI }, { ip: freshIp() });
const refresh = (token: string) =>
  tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: CLI }, { ip: freshIp() });

async function tokens(res: Response): Promise<Json> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("pragma")).toBe("no-cache");
  return JSON.parse(text) as Json;
}

const decide = (who: Person, userCode: string, decision: "approve" | "deny") =>
  who.send("POST", `/device/${decision}`, { user_code: userCode });

function bearer(token: string, method: string, path: string, body?: unknown) {
  return call(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Starts, approves as `who` and redeems: the token response. */
async function signIn(who: Person, hostname = "build-box"): Promise<Json> {
  const started = await start(hostname);
  expect((await decide(who, started.user_code, "approve")).status).toBe(200);
  return tokens(await poll(started.device_code));
}

async function auditActions(action: string): Promise<Json[]> {
  const res = await owner.send("GET", `/audit?action=${action}`);
  return ((await res.json()) as Json).events;
}

describe("device authorization endpoint", () => {
  it("answers RFC 8628 section 3.2 for the CLI's public client, pointing at the console's approval page", async () => {
    const body = await start();
    expect(Object.keys(body).sort()).toEqual([
      "device_code",
      "expires_in",
      "interval",
      "user_code",
      "verification_uri",
      "verification_uri_complete",
    ]);
    expect(body.device_code).toMatch(/^lkd_[A-Za-z0-9_-]{49}$/);
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(body.verification_uri).toBe("https://latchkey.test/#/device");
    expect(body.verification_uri_complete).toBe(`https://latchkey.test/#/device?user_code=${body.user_code}`);
    expect(body).toMatchObject({ expires_in: 600, interval: 5 });
  });

  it("refuses unknown clients, confidential credentials, GET and other bodies", async () => {
    await expectOAuthError(
      await form("/oauth/device_authorization", { client_id: "someone-else" }),
      401,
      "invalid_client",
    );
    await expectOAuthError(
      await form("/oauth/device_authorization", { client_id: CLI, client_secret: "lks_x" }),
      401,
      "invalid_client",
    );
    await expectOAuthError(await form("/oauth/device_authorization", {}), 401, "invalid_client");
    const get = await call("/oauth/device_authorization");
    await expectOAuthError(get, 405, "invalid_request", { description: D.endpointPostOnly });
    const json = await call("/oauth/device_authorization", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await expectOAuthError(json, 400, "invalid_request", { description: D.notForm });
  });

  it("is in the RFC 8414 metadata with the grant types and the none method", async () => {
    const meta = (await (await call("/.well-known/oauth-authorization-server")).json()) as Json;
    expect(meta.device_authorization_endpoint).toBe("https://latchkey.test/oauth/device_authorization");
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining([DEVICE_GRANT, "refresh_token"]));
    expect(meta.token_endpoint_auth_methods_supported).toContain("none");
  });
});

describe("polling", () => {
  it("answers authorization_pending, then slow_down with a longer interval when too early", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { device_code } = await start();
    await expectOAuthError(await poll(device_code), 400, "authorization_pending", {
      description: D.authorizationPending,
    });
    vi.setSystemTime(t0 + 1_000);
    await expectOAuthError(await poll(device_code), 400, "slow_down", { description: D.pollTooFast });
    // The interval is now 10 s from the last accepted poll: 6 s later is still too early, 10 s is on time.
    vi.setSystemTime(t0 + 6_000);
    await expectOAuthError(await poll(device_code), 400, "slow_down");
    vi.setSystemTime(t0 + 15_000);
    await expectOAuthError(await poll(device_code), 400, "authorization_pending");
  });

  it("refuses a missing, malformed, unknown or another client's device code", async () => {
    await expectOAuthError(await tokenRequest({ grant_type: DEVICE_GRANT, client_id: CLI }), 400, "invalid_request", {
      description: D.missingDeviceCode,
    });
    for (const code of ["nope", `lkd_${"A".repeat(49)}`]) {
      await expectOAuthError(await poll(code), 400, "invalid_grant", {
        description: D.invalidDeviceCode,
        forbid: code,
      });
    }
    const { device_code } = await start();
    const other = await tokenRequest({
      grant_type: DEVICE_GRANT,
      device_code,
      client_id: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
    });
    await expectOAuthError(other, 401, "invalid_client");
  });

  it("answers expired_token once the code's 10 minutes are over, and the code can no longer be approved", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { device_code, user_code } = await start();
    vi.setSystemTime(t0 + 600_000);
    await expectOAuthError(await poll(device_code), 400, "expired_token", { description: D.deviceCodeExpired });
    await expectProblem(await decide(owner, user_code, "approve"), 400, "invalid_user_code");
  });

  it("answers access_denied after the person denies, and records the denial", async () => {
    const { device_code, user_code } = await start("denied-host");
    const res = await decide(viewer, user_code, "deny");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "denied", client_id: CLI, hostname: "denied-host" });
    await expectOAuthError(await poll(device_code), 400, "access_denied", { description: D.deviceDenied });
    await expectProblem(await decide(viewer, user_code, "approve"), 400, "invalid_user_code");
    const [event] = await auditActions("device.deny");
    expect(event).toMatchObject({
      actor: "user:viewer@device.test",
      detail: { client_id: CLI, hostname: "denied-host" },
    });
  });
});

describe("approval page API", () => {
  it("shows the tool, its host and the role's scopes for a typed code, in any case and spacing", async () => {
    const { user_code } = await start("laptop.example");
    const typed = ` ${user_code.toLowerCase().replace("-", " ")} `;
    const res = await admin.send("POST", "/device/lookup", { user_code: typed });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      user_code,
      client_id: CLI,
      client_name: "latchkey CLI",
      hostname: "laptop.example",
      role: "admin",
      scopes: scopesOfRole("admin"),
    });
    await expectProblem(
      await admin.send("POST", "/device/lookup", { user_code: "BCDF-GHJK" }),
      400,
      "invalid_user_code",
    );
    await expectProblem(
      await admin.send("POST", "/device/lookup", { user_code: "AEIO-U123" }),
      400,
      "invalid_user_code",
    );
  });

  it("needs a signed-in person, from the console's own origin, not a tool's token", async () => {
    const { user_code } = await start();
    await expectProblem(
      await call("/api/v1/device/approve", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_code }),
      }),
      401,
      "unauthorized",
    );
    const foreign = await owner.send("POST", "/device/approve", { user_code }, { origin: "https://evil.example" });
    await expectProblem(foreign, 403, "csrf");
    const signedIn = await signIn(owner);
    const second = await start();
    await expectProblem(
      await bearer(signedIn.access_token, "POST", "/device/approve", { user_code: second.user_code }),
      403,
      "forbidden",
    );
  });
});

describe("approval by each role", () => {
  for (const role of ["owner", "admin", "viewer"] as const) {
    it(`gives a ${role} a management token with exactly the ${role}'s scopes, redeemed once`, async () => {
      const who = { owner, admin, viewer }[role];
      const started = await start(`${role}-box`);
      expect((await decide(who, started.user_code, "approve")).status).toBe(200);
      const body = await tokens(await poll(started.device_code));
      expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "scope", "token_type"]);
      expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: scopesOfRole(role).join(" ") });
      expect(body.refresh_token).toMatch(/^lkr_[A-Za-z0-9_-]{49}$/);
      const claims = decodeJwt(body.access_token);
      expect(claims).toMatchObject({
        iss: "https://latchkey.test",
        aud: "urn:latchkey:management",
        client_id: CLI,
        sub: expect.stringMatching(/^usr_/),
        sid: expect.stringMatching(/^dvs_/),
      });
      expect(claims.exp! - claims.iat!).toBe(600);
      await expectOAuthError(await poll(started.device_code), 400, "invalid_grant", {
        description: D.invalidDeviceCode,
      });

      const me = (await (await bearer(body.access_token, "GET", "/me")).json()) as Json;
      expect(me).toMatchObject({ auth: "token", user: { role }, scopes: scopesOfRole(role) });
      expect((await bearer(body.access_token, "GET", "/credentials")).status).toBe(200);
      const resource = { uri: `https://${role}.api.example`, name: `${role} api`, scopes: [{ name: "read" }] };
      const created = await bearer(body.access_token, "POST", "/resources", resource);
      if (role === "viewer") await expectProblem(created, 403, "forbidden");
      else expect(created.status).toBe(201);
    });
  }

  it("records the sign-in in the audit log as the person, naming the tool's host", async () => {
    await signIn(admin, "audited-box");
    const events = await auditActions("auth.device_sign_in");
    expect(events.find((e) => e.detail.hostname === "audited-box")).toMatchObject({
      actor: "user:admin@device.test",
      target_type: "session",
      target_id: expect.stringMatching(/^dvs_/),
      detail: { client_id: CLI, authorization: expect.stringMatching(/^dva_/) },
    });
    expect((await auditActions("device.approve")).length).toBeGreaterThan(0);
  });
});

describe("refresh tokens", () => {
  it("rotate on every use and keep the role's scopes", async () => {
    const first = await signIn(admin);
    const second = await tokens(await refresh(first.refresh_token));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe(scopesOfRole("admin").join(" "));
    expect(decodeJwt(second.access_token).sid).toBe(decodeJwt(first.access_token).sid);
    const third = await tokens(await refresh(second.refresh_token));
    expect((await bearer(third.access_token, "GET", "/credentials")).status).toBe(200);
  });

  it("end the whole session when a spent one is presented again (RFC 9700 section 4.14)", async () => {
    const first = await signIn(viewer, "copied-box");
    const second = await tokens(await refresh(first.refresh_token));
    await expectOAuthError(await refresh(first.refresh_token), 400, "invalid_grant", {
      description: D.invalidRefreshToken,
      forbid: first.refresh_token,
    });
    await expectOAuthError(await refresh(second.refresh_token), 400, "invalid_grant");
    await expectProblem(await bearer(second.access_token, "GET", "/credentials"), 401, "unauthorized");
    const [event] = await auditActions("session.refresh_reuse");
    expect(event).toMatchObject({ actor: "anonymous", target_id: decodeJwt(first.access_token).sid });
  });

  it("give one successor when a token is used twice at once, and treat the loser as reuse", async () => {
    const live = await signIn(admin, "racing-box");
    const answers = await Promise.all([refresh(live.refresh_token), refresh(live.refresh_token)]);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
    const winner = answers.find((r) => r.status === 200) as Response;
    const loser = answers.find((r) => r.status === 400) as Response;
    await expectOAuthError(loser, 400, "invalid_grant");
    const next = await tokens(winner);
    await expectOAuthError(await refresh(next.refresh_token), 400, "invalid_grant");
  });

  it("redeem a device code once when two polls race", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const started = await start();
    expect((await decide(owner, started.user_code, "approve")).status).toBe(200);
    const answers = await Promise.all([poll(started.device_code), poll(started.device_code)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    const lost = answers.find((r) => r.status === 400) as Response;
    expect((await lost.json()) as Json).toMatchObject({ error: expect.stringMatching(/^(slow_down|invalid_grant)$/) });
  });

  it("refuse malformed, unknown and missing tokens, and other clients", async () => {
    await expectOAuthError(
      await tokenRequest({ grant_type: "refresh_token", client_id: CLI }),
      400,
      "invalid_request",
      {
        description: D.missingRefreshToken,
      },
    );
    for (const token of ["junk", `lkr_${"B".repeat(49)}`]) {
      await expectOAuthError(await refresh(token), 400, "invalid_grant", { forbid: token });
    }
    const live = await signIn(owner);
    const other = await tokenRequest({ grant_type: "refresh_token", refresh_token: live.refresh_token });
    await expectOAuthError(other, 401, "invalid_client");
  });

  it("stop at the session's absolute end (30 days)", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const live = await signIn(owner);
    vi.setSystemTime(t0 + 30 * 24 * 3_600_000);
    await expectOAuthError(await refresh(live.refresh_token), 400, "invalid_grant");
  });
});

describe("sessions", () => {
  it("lists a tool's session beside console sessions, and ending it from the console ends its refresh at once", async () => {
    const live = await signIn(admin, "ci-runner-7");
    const sid = decodeJwt(live.access_token).sid as string;
    const listed = ((await (await owner.send("GET", "/sessions")).json()) as Json).sessions as Json[];
    expect(listed.find((s) => s.id === sid)).toMatchObject({
      kind: "device",
      user_email: "admin@device.test",
      device: "latchkey CLI on ci-runner-7",
      client: CLI,
      current: false,
    });
    const own = ((await (await bearer(live.access_token, "GET", "/sessions")).json()) as Json).sessions as Json[];
    expect(own.find((s) => s.id === sid)?.current).toBe(true);
    await expectProblem(await viewer.send("DELETE", `/sessions/${sid}`), 404, "not_found");
    expect((await owner.send("DELETE", `/sessions/${sid}`)).status).toBe(204);
    await expectOAuthError(await refresh(live.refresh_token), 400, "invalid_grant");
    await expectProblem(await bearer(live.access_token, "GET", "/credentials"), 401, "unauthorized");
    const [ended] = await auditActions("session.end");
    expect(ended).toMatchObject({ actor: "user:owner@device.test", target_id: sid });
  });

  it("ends with the logout request (the refresh token), which answers 200 for any token", async () => {
    const live = await signIn(viewer, "logout-box");
    const out = await form("/oauth/logout", { client_id: CLI, token: live.refresh_token });
    expect(out.status).toBe(200);
    expect(await out.text()).toBe("");
    await expectOAuthError(await refresh(live.refresh_token), 400, "invalid_grant");
    expect((await form("/oauth/logout", { client_id: CLI, token: "lkr_unknown" })).status).toBe(200);
    await expectOAuthError(await form("/oauth/logout", { client_id: CLI }), 400, "invalid_request", {
      description: D.missingToken,
    });
  });

  it("end when the person is removed", async () => {
    const leaver = await invite(owner, "leaver@device.test", "viewer");
    const live = await signIn(leaver);
    const members = ((await (await owner.send("GET", "/members")).json()) as Json).members as Json[];
    const id = members.find((m) => m.email === "leaver@device.test")?.id;
    expect((await owner.send("DELETE", `/members/${id}`)).status).toBe(204);
    await expectOAuthError(await refresh(live.refresh_token), 400, "invalid_grant");
    await expectProblem(await bearer(live.access_token, "GET", "/credentials"), 401, "unauthorized");
  });
});
