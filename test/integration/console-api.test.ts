// The console API end to end in workerd: first-owner link, invitations, roles mapped to scopes, members,
// sessions (listing and ending), CSRF, /me and signing keys. Real D1, real cookies, real tokens.
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, setupTenant, type TestTenant } from "../support/harness";
import {
  COOKIE,
  invite,
  ownerLink,
  PASSWORD,
  person,
  postJson,
  sessionCookieOf,
  tokenOf,
  type Person,
} from "../support/console";

afterEach(() => vi.useRealTimers());

const json = async (res: Response) => (await res.json()) as Record<string, any>;

async function auditActions(bearer: TestTenant, action: string) {
  return (await json(await bearer.admin("GET", `/audit?action=${action}`))).events as Array<Record<string, any>>;
}

let owner: Person;
let admin: Person;
let viewer: Person;
let machine: TestTenant;

describe("first-owner link", () => {
  it("needs the bootstrap token", async () => {
    const res = await call("/api/v1/bootstrap/owner-link", {
      method: "POST",
      headers: { authorization: "Bearer wrong-token-wrong-token-wrong-token-x" },
    });
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe("unauthorized");
  });

  it("issues a one-hour link that expires, is replaced by a newer one, works once, then answers 409", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const first = await ownerLink();
    expect(first.status).toBe(201);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const body = await json(first);
    expect(body.url).toMatch(/^https:\/\/latchkey\.test\/#\/setup-owner\?token=[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(body.expires_at)).toBe(t0 + 3_600_000);

    vi.setSystemTime(t0 + 3_600_001);
    const expired = await postJson("/auth/setup-owner", {
      token: tokenOf(body.url),
      email: "owner@example.com",
      name: "Olive",
      password: PASSWORD,
    });
    expect(expired.status).toBe(400);
    expect(await json(expired)).toMatchObject({ status: 400, code: "invalid_setup_token" });
    vi.useRealTimers();

    const older = await json(await ownerLink());
    const newer = await json(await ownerLink());
    const replaced = await postJson("/auth/setup-owner", {
      token: tokenOf(older.url),
      email: "owner@example.com",
      name: "Olive",
      password: PASSWORD,
    });
    expect((await json(replaced)).code).toBe("invalid_setup_token");

    const short = await postJson("/auth/setup-owner", {
      token: tokenOf(newer.url),
      email: "owner@example.com",
      name: "Olive",
      password: "too-short",
    });
    expect(short.status).toBe(400);
    expect((await json(short)).errors).toEqual([{ path: "password", message: expect.any(String) }]);

    const ok = await postJson("/auth/setup-owner", {
      token: tokenOf(newer.url),
      email: "Owner@Example.com",
      name: "Olive Owner",
      password: PASSWORD,
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    const created = await json(ok);
    expect(created).toEqual({
      user: {
        id: expect.stringMatching(/^usr_/),
        email: "owner@example.com",
        name: "Olive Owner",
        role: "owner",
        tenant_id: "default",
      },
    });
    owner = person(sessionCookieOf(ok), "owner@example.com");

    const again = await postJson("/auth/setup-owner", {
      token: tokenOf(newer.url),
      email: "second@example.com",
      name: "Second",
      password: PASSWORD,
    });
    expect(again.status).toBe(400);
    expect((await json(again)).code).toBe("invalid_setup_token");

    const conflict = await ownerLink();
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get("content-type")).toBe("application/problem+json");
    expect(await json(conflict)).toMatchObject({ status: 409, code: "owner_exists" });
  });

  it("/me describes the owner, the session and every owner scope", async () => {
    const res = await owner.send("GET", "/me");
    expect(res.status).toBe(200);
    const me = await json(res);
    expect(me).toEqual({
      user: {
        id: expect.any(String),
        email: "owner@example.com",
        name: "Olive Owner",
        role: "owner",
        tenant_id: "default",
      },
      session: { id: expect.stringMatching(/^ses_/), expires_at: expect.any(String) },
      scopes: [
        "audit:read",
        "credentials:read",
        "credentials:write",
        "members:read",
        "members:write",
        "resources:read",
        "resources:write",
        "sessions:read:all",
        "sessions:write:all",
        "tokens:introspect",
        "webhooks:read",
        "webhooks:write",
      ],
      auth: "session",
      tenant: { id: "default", issuer: "https://latchkey.test" },
    });
    const noCookie = await call("/api/v1/me");
    expect(noCookie.status).toBe(401);
    expect((await json(noCookie)).code).toBe("unauthorized");
    const forged = await person("A".repeat(43), "x").send("GET", "/me");
    expect(forged.status).toBe(401);
  });

  it("records the setup in the audit log as the owner", async () => {
    machine = await setupTenant("default");
    const events = await auditActions(machine, "owner.setup");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: "user:owner@example.com",
      target_type: "user",
      detail: { email: "owner@example.com" },
    });
    expect(await auditActions(machine, "owner.link.create")).toHaveLength(3);
  });
});

describe("invitations", () => {
  it("owner invites; the link shows the role, applies it, and works once", async () => {
    const res = await owner.send("POST", "/invitations", { email: "Ada@Example.com", role: "admin" });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const inv = await json(res);
    expect(inv).toEqual({
      id: expect.stringMatching(/^inv_/),
      email: "ada@example.com",
      role: "admin",
      expires_at: expect.any(String),
      url: expect.stringMatching(/^https:\/\/latchkey\.test\/#\/accept-invite\?token=/),
    });
    expect(Date.parse(inv.expires_at) - Date.now()).toBeGreaterThan(7 * 86_400_000 - 60_000);
    const token = tokenOf(inv.url);

    const lookup = await postJson("/auth/invitation", { token });
    expect(lookup.status).toBe(200);
    expect(lookup.headers.get("cache-control")).toBe("no-store");
    expect(await json(lookup)).toEqual({
      email: "ada@example.com",
      role: "admin",
      expires_at: inv.expires_at,
      tenant: { id: "default", name: "Default" },
      account: "new",
    });
    // The token never travels in a URL: the old GET ?token= lookup is gone, for every method but POST.
    for (const method of ["GET", "HEAD", "PUT"]) {
      const old = await call(`/api/v1/auth/invitation?token=${token}`, { method });
      expect(old.status).toBe(405);
      expect(old.headers.get("allow")).toBe("POST");
      expect(old.headers.get("content-type")).toBe("application/problem+json");
      if (method !== "HEAD")
        expect(await json(old)).toMatchObject({ status: 405, code: "method_not_allowed", allow: "POST" });
    }

    const accepted = await postJson("/auth/accept-invite", { token, name: "Ada Admin", password: PASSWORD });
    expect(accepted.status).toBe(201);
    expect((await json(accepted)).user).toMatchObject({
      email: "ada@example.com",
      name: "Ada Admin",
      role: "admin",
      tenant_id: "default",
    });
    admin = person(sessionCookieOf(accepted), "ada@example.com");

    const twice = await postJson("/auth/accept-invite", { token, name: "Mallory", password: PASSWORD });
    expect(twice.status).toBe(400);
    expect(await json(twice)).toMatchObject({ code: "invalid_invitation", status: 400 });
    expect((await json(await postJson("/auth/invitation", { token }))).code).toBe("invalid_invitation");
    expect((await json(await postJson("/auth/invitation", {}))).code).toBe("invalid_request");

    const list = (await json(await owner.send("GET", "/invitations"))).invitations;
    expect(list[0]).toEqual({
      id: inv.id,
      email: "ada@example.com",
      role: "admin",
      created_at: expect.any(String),
      created_by: "user:owner@example.com",
      expires_at: inv.expires_at,
      status: "accepted",
    });
    const audit = await auditActions(machine, "invitation.accept");
    expect(audit[0]).toMatchObject({ actor: "user:ada@example.com", target_id: inv.id, detail: { role: "admin" } });
  });

  it("an invitation expires after 7 days; a revoked one stops working; a member's email cannot be invited", async () => {
    const t0 = Date.now();
    const late = await json(await owner.send("POST", "/invitations", { email: "late@example.com", role: "viewer" }));
    vi.setSystemTime(t0 + 7 * 86_400_000 + 1_000);
    const expired = await postJson("/auth/accept-invite", {
      token: tokenOf(late.url),
      name: "Late",
      password: PASSWORD,
    });
    expect(expired.status).toBe(400);
    expect((await json(expired)).code).toBe("invalid_invitation");
    // The owner's first session has expired by now (12 h absolute); a fresh sign-in reads the list.
    const later = person(
      sessionCookieOf(await postJson("/auth/login", { email: "owner@example.com", password: PASSWORD })),
      "owner@example.com",
    );
    const listed = (await json(await later.send("GET", "/invitations"))).invitations;
    vi.useRealTimers();
    expect(listed.find((i: any) => i.id === late.id).status).toBe("expired");

    const revoked = await json(await owner.send("POST", "/invitations", { email: "gone@example.com", role: "viewer" }));
    expect((await owner.send("DELETE", `/invitations/${revoked.id}`)).status).toBe(204);
    expect((await owner.send("DELETE", `/invitations/${revoked.id}`)).status).toBe(409);
    expect((await owner.send("DELETE", "/invitations/inv_nope")).status).toBe(404);
    const refused = await postJson("/auth/accept-invite", {
      token: tokenOf(revoked.url),
      name: "Gone",
      password: PASSWORD,
    });
    expect((await json(refused)).code).toBe("invalid_invitation");
    const list = (await json(await owner.send("GET", "/invitations"))).invitations;
    expect(list.find((i: any) => i.id === revoked.id).status).toBe("revoked");
    expect((await auditActions(machine, "invitation.revoke"))[0]).toMatchObject({
      actor: "user:owner@example.com",
      target_id: revoked.id,
    });

    const dup = await owner.send("POST", "/invitations", { email: "ada@example.com", role: "viewer" });
    expect(dup.status).toBe(409);
    expect((await json(dup)).code).toBe("already_member");
    const bad = await owner.send("POST", "/invitations", { email: "not-an-email", role: "root" });
    expect(bad.status).toBe(400);
    expect((await json(bad)).errors.map((e: any) => e.path).sort()).toEqual(["email", "role"]);
  });

  it("a viewer invitation gives viewer scopes", async () => {
    viewer = await invite(owner, "vic@example.com", "viewer");
    const me = await json(await viewer.send("GET", "/me"));
    expect(me.user.role).toBe("viewer");
    expect(me.scopes).toEqual(["audit:read", "credentials:read", "resources:read", "webhooks:read"]);
  });
});

describe("roles", () => {
  const grants = [{ resource: "urn:latchkey:management", scopes: ["audit:read"] }];

  it("a viewer reads credentials but cannot create, rotate or revoke them, and never sees a secret", async () => {
    const made = await json(await machine.admin("POST", "/credentials", { label: "viewer-target", grants }));
    expect(made.client_secret).toMatch(/^lks_/);
    const list = await viewer.send("GET", "/credentials");
    expect(list.status).toBe(200);
    const one = await viewer.send("GET", `/credentials/${made.id}`);
    expect(one.status).toBe(200);
    const text = await one.text();
    expect(text).not.toContain(made.client_secret);
    expect(text).not.toContain("client_secret");
    expect(JSON.parse(text).secrets[0]).toMatchObject({ hint: made.client_secret.slice(0, 8), status: "active" });

    for (const [method, path, body] of [
      ["POST", "/credentials", { label: "nope", grants }],
      ["POST", `/credentials/${made.id}/secrets`, {}],
      ["POST", `/credentials/${made.id}/revoke`, { confirm_label: "viewer-target" }],
      ["PATCH", `/credentials/${made.id}`, { groups: ["x"] }],
      ["POST", "/resources", { uri: "https://api.example", name: "x", scopes: [{ name: "read" }] }],
    ] as const) {
      const res = await viewer.send(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await json(res)).toMatchObject({ code: "forbidden", detail: expect.stringContaining("scope") });
    }
    expect((await viewer.send("GET", "/members")).status).toBe(403);
    expect((await viewer.send("POST", "/invitations", { email: "x@example.com", role: "viewer" })).status).toBe(403);
    expect((await viewer.send("GET", "/invitations")).status).toBe(403);
  });

  it("an admin manages credentials as user:<email> but cannot manage members or invite", async () => {
    const created = await admin.send("POST", "/credentials", { label: "by-admin", grants });
    expect(created.status).toBe(201);
    const cred = await json(created);
    expect(cred).toMatchObject({ created_by: "user:ada@example.com", client_secret: expect.stringMatching(/^lks_/) });
    expect((await admin.send("POST", `/credentials/${cred.id}/secrets`, {})).status).toBe(201);
    const revoked = await admin.send("POST", `/credentials/${cred.id}/revoke`, { confirm_label: "by-admin" });
    expect(revoked.status).toBe(200);
    expect((await json(revoked)).revoked_by).toBe("user:ada@example.com");

    const members = await admin.send("GET", "/members");
    expect(members.status).toBe(200);
    const ownerRow = (await json(members)).members.find((m: any) => m.role === "owner");
    const patch = await admin.send("PATCH", `/members/${ownerRow.id}`, { role: "viewer" });
    expect(patch.status).toBe(403);
    expect((await admin.send("DELETE", `/members/${ownerRow.id}`)).status).toBe(403);
    const viewerRow = (await json(await admin.send("GET", "/members"))).members.find((m: any) => m.role === "viewer");
    expect((await admin.send("PATCH", `/members/${viewerRow.id}`, { role: "admin" })).status).toBe(403);
    expect((await admin.send("POST", "/invitations", { email: "y@example.com", role: "owner" })).status).toBe(403);
  });

  it("an owner changes roles (applied on the next request) and cannot demote or remove the last owner", async () => {
    const members = (await json(await owner.send("GET", "/members"))).members;
    expect(members.map((m: any) => [m.email, m.role])).toEqual([
      ["owner@example.com", "owner"],
      ["ada@example.com", "admin"],
      ["vic@example.com", "viewer"],
    ]);
    expect(members[0]).toEqual({
      id: expect.any(String),
      email: "owner@example.com",
      name: "Olive Owner",
      role: "owner",
      created_at: expect.any(String),
      last_sign_in_at: expect.any(String),
    });
    const [self, , vic] = members;

    const promote = await owner.send("PATCH", `/members/${vic.id}`, { role: "admin" });
    expect(promote.status).toBe(200);
    expect((await json(promote)).role).toBe("admin");
    expect((await viewer.send("POST", "/credentials", { label: "vic-now-admin", grants })).status).toBe(201);
    expect((await owner.send("PATCH", `/members/${vic.id}`, { role: "viewer" })).status).toBe(200);
    expect((await viewer.send("POST", "/credentials", { label: "vic-viewer-again", grants })).status).toBe(403);
    expect((await auditActions(machine, "member.role.change"))[0]).toMatchObject({
      actor: "user:owner@example.com",
      target_id: vic.id,
      detail: { before: "admin", after: "viewer" },
    });

    const demote = await owner.send("PATCH", `/members/${self.id}`, { role: "admin" });
    expect(demote.status).toBe(409);
    expect(await json(demote)).toMatchObject({ code: "last_owner", status: 409 });
    expect((await owner.send("DELETE", `/members/${self.id}`)).status).toBe(409);
    expect((await owner.send("PATCH", "/members/usr_missing", { role: "admin" })).status).toBe(404);
  });

  it("never leaves a tenant without an owner, even when two owners demote each other at once", async () => {
    const second = await invite(owner, "otto@example.com", "owner");
    const members = (await json(await owner.send("GET", "/members"))).members;
    const ownerRow = members.find((m: any) => m.email === "owner@example.com");
    const ottoRow = members.find((m: any) => m.email === "otto@example.com");
    const [a, b] = await Promise.all([
      owner.send("PATCH", `/members/${ottoRow.id}`, { role: "viewer" }),
      second.send("PATCH", `/members/${ownerRow.id}`, { role: "viewer" }),
    ]);
    const statuses = [a.status, b.status].sort();
    // Either one demotion wins and the other finds the last owner (409), or the loser was already demoted
    // before its own request was authorized (403): never two demotions.
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const after = (await json(await (a.status === 200 ? owner : second).send("GET", "/members"))).members;
    expect(after.filter((m: any) => m.role === "owner")).toHaveLength(1);
    const changes = (await auditActions(machine, "member.role.change")).filter(
      (e: any) => e.detail.after === "viewer" && e.detail.before === "owner",
    );
    expect(changes).toHaveLength(1);
    // Restore the original owner for the tests that follow.
    const winner = a.status === 200 ? owner : second;
    const demoted = a.status === 200 ? ottoRow : ownerRow;
    expect((await winner.send("PATCH", `/members/${demoted.id}`, { role: "owner" })).status).toBe(200);
    expect((await winner.send("DELETE", `/members/${ottoRow.id}`)).status).toBe(204);
  });

  it("machine credentials keep working through scopes, and never hold people-management scopes", async () => {
    const res = await machine.admin("POST", "/credentials", { label: "by-machine", grants });
    expect(res.status).toBe(201);
    expect((await json(res)).created_by).toMatch(/^svc:admin-/);
    const me = await json(await machine.admin("GET", "/me"));
    expect(me).toMatchObject({
      user: null,
      session: null,
      auth: "bearer",
      credential: { client_id: machine.adminClientId },
    });
    expect((await machine.admin("GET", "/members")).status).toBe(403);
    expect((await machine.admin("GET", "/sessions")).status).toBe(403);
    const keys = await machine.admin("GET", "/signing-keys");
    expect(keys.status).toBe(200);
    const body = await json(keys);
    expect(body.keys.filter((k: any) => k.status === "current")).toHaveLength(1);
    expect(body.keys[0]).toEqual({
      kid: expect.any(String),
      alg: "ES256",
      created_at: expect.any(String),
      activates_at: expect.any(String),
      retired_at: null,
      status: "current",
    });
    expect(JSON.stringify(body)).not.toMatch(/"d"|private/);
  });
});

describe("CSRF", () => {
  const body = { label: "csrf-probe", grants: [{ resource: "urn:latchkey:management", scopes: ["audit:read"] }] };

  it("refuses a cookie POST without Origin or with a foreign Origin", async () => {
    const missing = await call("/api/v1/credentials", {
      method: "POST",
      headers: { cookie: `${COOKIE}=${owner.cookie}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(missing.status).toBe(403);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(await json(missing)).toMatchObject({ status: 403, code: "csrf" });
    const foreign = await owner.send("POST", "/credentials", body, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect((await json(foreign)).code).toBe("csrf");
    const cross = await owner.send("DELETE", "/invitations/inv_x", undefined, {
      origin: "null",
      "sec-fetch-site": "cross-site",
    });
    expect((await json(cross)).code).toBe("csrf");
    expect((await machine.admin("GET", "/credentials?status=active")).status).toBe(200);
  });

  it("accepts same-origin by Origin or by Sec-Fetch-Site, and GETs need neither", async () => {
    const byOrigin = await owner.send("POST", "/credentials", body);
    expect(byOrigin.status).toBe(201);
    const bySite = await call("/api/v1/credentials", {
      method: "POST",
      headers: {
        cookie: `${COOKIE}=${owner.cookie}`,
        "content-type": "application/json",
        "sec-fetch-site": "same-origin",
      },
      body: JSON.stringify({ ...body, label: "csrf-probe-2" }),
    });
    expect(bySite.status).toBe(201);
    const get = await call("/api/v1/credentials", { headers: { cookie: `${COOKIE}=${owner.cookie}` } });
    expect(get.status).toBe(200);
  });

  it("bearer callers are unaffected, and a cross-site sign-in is refused", async () => {
    const res = await call("/api/v1/credentials", {
      method: "POST",
      headers: {
        authorization: `Bearer ${machine.adminToken}`,
        "content-type": "application/json",
        origin: "https://evil.example",
      },
      body: JSON.stringify({ ...body, label: "csrf-bearer" }),
    });
    expect(res.status).toBe(201);
    const login = await postJson(
      "/auth/login",
      { email: "owner@example.com", password: PASSWORD },
      { origin: "https://evil.example" },
    );
    expect(login.status).toBe(403);
    expect((await json(login)).code).toBe("csrf");
    expect(login.headers.get("set-cookie")).toBeNull();
  });
});

describe("sessions", () => {
  it("lists device and client; owners see everyone's, others their own", async () => {
    const login = await postJson(
      "/auth/login",
      { email: "vic@example.com", password: PASSWORD },
      { "user-agent": "curl/8.11.1" },
      "192.0.2.77",
    );
    expect(login.status).toBe(200);
    const curlSession = person(sessionCookieOf(login), "vic@example.com");

    const own = await json(await viewer.send("GET", "/sessions"));
    expect(own.sessions).toHaveLength(2);
    expect(own.sessions.every((s: any) => s.user_email === "vic@example.com")).toBe(true);
    const [browser, curl] = own.sessions;
    expect(browser).toEqual({
      id: expect.stringMatching(/^ses_/),
      user_id: expect.stringMatching(/^usr_/),
      user_email: "vic@example.com",
      user_name: "vic",
      device: "Linux",
      client: "Chrome 156",
      ip: "192.0.2.1",
      created_at: expect.any(String),
      last_seen_at: expect.any(String),
      expires_at: expect.any(String),
      current: true,
    });
    expect(curl).toMatchObject({ device: "Unknown", client: "curl 8", ip: "192.0.2.77", current: false });

    const all = (await json(await owner.send("GET", "/sessions"))).sessions;
    expect(new Set(all.map((s: any) => s.user_email))).toEqual(
      new Set(["owner@example.com", "ada@example.com", "vic@example.com"]),
    );

    const ownerSession = all.find((s: any) => s.user_email === "owner@example.com");
    const denied = await viewer.send("DELETE", `/sessions/${ownerSession.id}`);
    expect(denied.status).toBe(404);

    expect((await viewer.send("DELETE", `/sessions/${curl.id}`)).status).toBe(204);
    expect((await curlSession.send("GET", "/me")).status).toBe(401);
  });

  it("an owner ends anyone's session and it stops working on the next request", async () => {
    expect((await admin.send("GET", "/me")).status).toBe(200);
    const adminSession = (await json(await owner.send("GET", "/sessions"))).sessions.find(
      (s: any) => s.user_email === "ada@example.com",
    );
    const ended = await owner.send("DELETE", `/sessions/${adminSession.id}`);
    expect(ended.status).toBe(204);
    const after = await admin.send("GET", "/credentials");
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toBe('Bearer realm="latchkey"');
    expect((await auditActions(machine, "session.end"))[0]).toMatchObject({
      actor: "user:owner@example.com",
      target_id: adminSession.id,
    });
  });

  it("sign-out ends the session and clears the cookie; removing a member ends theirs", async () => {
    const login = await postJson("/auth/login", { email: "ada@example.com", password: PASSWORD });
    expect(login.status).toBe(200);
    expect(await json(login)).toEqual({
      user: {
        id: expect.any(String),
        email: "ada@example.com",
        name: "Ada Admin",
        role: "admin",
        tenant_id: "default",
      },
    });
    const ada = person(sessionCookieOf(login), "ada@example.com");
    const out = await ada.send("POST", "/auth/logout");
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toBe(`${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure`);
    expect((await ada.send("GET", "/me")).status).toBe(401);
    expect((await auditActions(machine, "auth.sign_out"))[0]).toMatchObject({ actor: "user:ada@example.com" });

    const again = person(
      sessionCookieOf(await postJson("/auth/login", { email: "ada@example.com", password: PASSWORD })),
      "ada@example.com",
    );
    const adaId = (await json(await again.send("GET", "/me"))).user.id;
    expect((await owner.send("DELETE", `/members/${adaId}`)).status).toBe(204);
    expect((await again.send("GET", "/me")).status).toBe(401);
    const relogin = await postJson("/auth/login", { email: "ada@example.com", password: PASSWORD });
    expect(relogin.status).toBe(401);
    expect((await auditActions(machine, "member.remove"))[0]).toMatchObject({
      actor: "user:owner@example.com",
      target_id: adaId,
      detail: { email: "ada@example.com", role: "admin" },
    });
  });

  it("documents the console endpoints in OpenAPI", async () => {
    const doc = await json(await call("/api/v1/openapi.json"));
    for (const path of [
      "/auth/login",
      "/auth/logout",
      "/me",
      "/members/{id}",
      "/invitations",
      "/sessions/{id}",
      "/signing-keys",
      "/bootstrap/owner-link",
      "/auth/accept-invite",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});
