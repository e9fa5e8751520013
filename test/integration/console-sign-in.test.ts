// Sign-in in workerd: throttling per (account, source), per source and the per-account slowdown, idle and absolute session expiry (with a moved
// clock), Cloudflare Access assertions (own keys through the injectable key source) and the PBKDF2 cap.
import { createExecutionContext } from "cloudflare:test";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey as JoseKey } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/config";
import { setAccessKeySource } from "../../src/crypto/access-jwt";
import { toBase64url } from "../../src/crypto/encoding";
import { hashPassword, PBKDF2_MAX_ITERATIONS, verifyPassword } from "../../src/crypto/passwords";
import { primaryDb } from "../../src/storage/db";
import { runMaintenance } from "../../src/services/maintenance";
import { sessionCookie } from "../../src/services/sessions";
import { insertUser } from "../../src/storage/people";
import { call, env, ISSUER, setupTenant, testContext, type TestTenant } from "../support/harness";
import { COOKIE, createOwner, PASSWORD, person, postJson, sessionCookieOf, type Person } from "../support/console";

afterEach(() => vi.useRealTimers());

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const login = (email: string, password: string, ip: string) => postJson("/auth/login", { email, password }, {}, ip);

let owner: Person;
let machine: TestTenant;

async function member(email: string): Promise<string> {
  await insertUser(primaryDb(env.DB), {
    id: `usr_${email.split("@")[0]}`,
    tenantId: "default",
    email,
    name: email,
    role: "viewer",
    passwordHash: await hashPassword(PASSWORD),
    createdAt: Date.now(),
    createdBy: "test",
    lastSignInAt: null,
  }).run();
  return email;
}

beforeAll(async () => {
  owner = await createOwner("root@example.com", "Rita Root");
  machine = await setupTenant("default");
});

describe("sign-in throttling", () => {
  it("unknown emails and wrong passwords fail alike", async () => {
    const unknown = await login("nobody@example.com", PASSWORD, "198.18.0.1");
    const wrong = await login("root@example.com", "not the password", "198.18.0.2");
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const body = {
      type: "https://latchkey.dev/problems/invalid_credentials",
      title: "Invalid credentials",
      status: 401,
      detail: "The email or password is incorrect.",
      code: "invalid_credentials",
    };
    expect(await json(unknown)).toEqual(body);
    expect(await json(wrong)).toEqual(body);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const events = (await json(await machine.admin("GET", "/audit?action=auth.sign_in.failure"))).events;
    expect(events.map((e: any) => [e.actor, e.detail.reason, e.ip])).toEqual([
      ["user:root@example.com", "wrong_password", "198.18.0.2"],
      ["user:nobody@example.com", "unknown_account", "198.18.0.1"],
    ]);
  });

  it("counts 40 concurrent wrong passwords from one source before verifying: exactly 5 are evaluated", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const victim = await member("racer@example.com");
    const ip = "198.18.1.1";
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => login(victim, `guess-${i}`, ip)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    for (const res of results.filter((r) => r.status === 429)) {
      expect(res.headers.get("retry-after")).toBe("900");
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await json(res)).toMatchObject({ status: 429, code: "rate_limited", retry_after: 900 });
    }
    const failures = (await json(await machine.admin("GET", `/audit?action=auth.sign_in.failure&actor=user:${victim}`)))
      .events;
    expect(failures).toHaveLength(5);

    const locked = await login(victim, PASSWORD, ip);
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("900");
    expect(locked.headers.get("set-cookie")).toBeNull();
    vi.setSystemTime(t0 + 10 * 60_000);
    expect((await login(victim, PASSWORD, ip)).headers.get("retry-after")).toBe("300");
    vi.setSystemTime(t0 + 15 * 60_000 + 1);
    expect((await login(victim, PASSWORD, ip)).status).toBe(200);
  });

  it("a stranger's failures from one source never stop the owner signing in from another", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const victim = await member("victim@example.com");
    for (let i = 0; i < 5; i++) expect((await login(victim, `guess-${i}`, "198.18.1.10")).status).toBe(401);
    expect((await login(victim, PASSWORD, "198.18.1.10")).status).toBe(429);
    for (let i = 0; i < 4; i++) expect((await login(victim, `guess-${i}`, `198.18.1.${20 + i}`)).status).toBe(401);

    const owner = await login(victim, PASSWORD, "198.18.1.99");
    expect(owner.status).toBe(200);
    expect((await json(owner)).user.email).toBe(victim);
    sessionCookieOf(owner);
  });

  it("a success from a source clears that source's failures for the account", async () => {
    const typist = await member("typist@example.com");
    for (let i = 0; i < 4; i++) expect((await login(typist, "typo", "198.18.1.30")).status).toBe(401);
    expect((await login(typist, PASSWORD, "198.18.1.30")).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(typist, "typo", "198.18.1.30")).status).toBe(401);
    expect((await login(typist, PASSWORD, "198.18.1.30")).status).toBe(200);
  });

  it("counts an IPv6 /64 as one source", async () => {
    const victim = await member("six@example.com");
    for (let i = 1; i <= 5; i++) expect((await login(victim, "guess", `2001:db8:7:7::${i}`)).status).toBe(401);
    expect((await login(victim, PASSWORD, "2001:DB8:7:7:abcd:ef01:2345:6789")).status).toBe(429);
    expect((await login(victim, PASSWORD, "2001:db8:7:8::1")).status).toBe(200);
  });

  it("slows an account failed from many sources to one attempt per 2 s, without counting the refusals", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const victim = await member("slowed@example.com");
    for (let i = 0; i < 10; i++) expect((await login(victim, `guess-${i}`, `198.18.6.${i}`)).status).toBe(401);

    vi.setSystemTime(t0 + 1_000);
    expect((await login(victim, "guess", "198.18.6.50")).status).toBe(401);
    for (let i = 0; i < 6; i++) {
      const slowed = await login(victim, PASSWORD, "198.18.6.99");
      expect(slowed.status).toBe(429);
      expect(slowed.headers.get("retry-after")).toBe("2");
      expect(await json(slowed)).toMatchObject({ code: "rate_limited", retry_after: 2 });
    }
    vi.setSystemTime(t0 + 2_500);
    expect((await login(victim, PASSWORD, "198.18.6.99")).headers.get("retry-after")).toBe("1");
    vi.setSystemTime(t0 + 3_000);
    const owner = await login(victim, PASSWORD, "198.18.6.99");
    expect(owner.status).toBe(200);
    expect((await login(victim, PASSWORD, "198.18.6.98")).status).toBe(429);
    vi.setSystemTime(t0 + 15 * 60_000 + 1);
    expect((await login(victim, PASSWORD, "198.18.6.98")).status).toBe(200);
    expect((await login(victim, PASSWORD, "198.18.6.97")).status).toBe(200);
  });

  it("the hourly maintenance prunes spent throttles", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    await login("pruned@example.com", "guess", "198.18.7.1");
    const rows = () =>
      env.DB.prepare("select count(*) as n from sign_in_throttles where window_start <= ?")
        .bind(t0)
        .first<{ n: number }>();
    expect((await rows())!.n).toBeGreaterThan(0);
    await runMaintenance(testContext(), t0 + 15 * 60_000 + 1);
    expect((await rows())!.n).toBe(0);
  });

  it("locks an IP after 20 failures, whatever the accounts; other IPs still sign in", async () => {
    const ip = "198.18.2.1";
    for (let i = 0; i < 20; i++) expect((await login(`spray-${i}@example.com`, "password-guess", ip)).status).toBe(401);
    const blocked = await login("root@example.com", PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(890);
    expect((await json(blocked)).code).toBe("rate_limited");
    const elsewhere = await login("root@example.com", PASSWORD, "198.18.2.2");
    expect(elsewhere.status).toBe(200);
    sessionCookieOf(elsewhere);
  });
});

describe("session timeouts", () => {
  it("slides the 30-minute idle timeout and ends an idle session", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const p = person(sessionCookieOf(await login("root@example.com", PASSWORD, "198.18.3.1")), "root@example.com");
    const me = await json(await p.send("GET", "/me"));
    expect(Date.parse(me.session.expires_at)).toBe(t0 + 30 * 60_000);

    vi.setSystemTime(t0 + 29 * 60_000);
    expect((await p.send("GET", "/me")).status).toBe(200);
    vi.setSystemTime(t0 + 58 * 60_000);
    const slid = await p.send("GET", "/me");
    expect(slid.status).toBe(200);
    expect(Date.parse((await json(slid)).session.expires_at)).toBe(t0 + 88 * 60_000);

    vi.setSystemTime(t0 + 88 * 60_000);
    const idle = await p.send("GET", "/me");
    expect(idle.status).toBe(401);
    expect((await json(idle)).code).toBe("unauthorized");
  });

  it("ends any session 12 hours after sign-in, however active", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const p = person(sessionCookieOf(await login("root@example.com", PASSWORD, "198.18.3.2")), "root@example.com");
    for (let t = 25; t < 12 * 60; t += 25) {
      vi.setSystemTime(t0 + t * 60_000);
      expect((await p.send("GET", "/me")).status, `after ${t} min`).toBe(200);
    }
    vi.setSystemTime(t0 + 12 * 3_600_000 - 1_000);
    const last = await json(await p.send("GET", "/me"));
    expect(Date.parse(last.session.expires_at)).toBe(t0 + 12 * 3_600_000);
    vi.setSystemTime(t0 + 12 * 3_600_000);
    expect((await p.send("GET", "/me")).status).toBe(401);
  });
});

describe("session pruning", () => {
  it("the hourly maintenance deletes idle sessions", async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const p = person(sessionCookieOf(await login("root@example.com", PASSWORD, "198.18.3.3")), "root@example.com");
    expect((await p.send("GET", "/me")).status).toBe(200);
    await runMaintenance(testContext(), t0 + 31 * 60_000);
    // Still within its idle window by the clock, but the row is gone.
    expect((await p.send("GET", "/me")).status).toBe(401);
  });
});

describe("Cloudflare Access", () => {
  const team = "latchkey-test";
  const audience = "aud-0123456789abcdef";
  let key: JoseKey;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "access-test", alg: "RS256" };
    setAccessKeySource(team, createLocalJWKSet({ keys: [jwk] }));
  });

  const assertion = (email: string, opts: { aud?: string; iss?: string; exp?: string } = {}) =>
    new SignJWT({ email, type: "app" })
      .setProtectedHeader({ alg: "RS256", kid: "access-test" })
      .setIssuer(opts.iss ?? `https://${team}.cloudflareaccess.com`)
      .setAudience(opts.aud ?? audience)
      .setSubject("access-user-id")
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? "5m")
      .sign(key);

  const accessEnv = (): Env => ({ ...env, ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: audience });
  const viaAccess = (token: string, init: RequestInit = {}, target: Env = accessEnv()) => {
    const headers = new Headers(init.headers);
    headers.set("cf-access-jwt-assertion", token);
    headers.set("cf-connecting-ip", "198.18.4.1");
    return app.fetch(new Request(`${ISSUER}/api/v1/me`, { ...init, headers }), target, createExecutionContext());
  };

  it("signs a member in by the verified email when configured", async () => {
    const res = await viaAccess(await assertion("Root@Example.com"));
    expect(res.status).toBe(200);
    const me = await json(res);
    expect(me).toMatchObject({
      user: { email: "root@example.com", role: "owner", tenant_id: "default" },
      session: null,
      auth: "access",
    });
    expect(me.scopes).toContain("members:write");
  });

  it("refuses a wrong audience, a wrong issuer, an expired token and a non-member", async () => {
    for (const token of [
      await assertion("root@example.com", { aud: "another-app" }),
      await assertion("root@example.com", { iss: "https://evil.cloudflareaccess.com" }),
      await assertion("root@example.com", { exp: "-1m" }),
      await assertion("stranger@example.com"),
      "not.a.jwt",
    ]) {
      const res = await viaAccess(token);
      expect(res.status).toBe(401);
      expect((await json(res)).code).toBe("unauthorized");
    }
  });

  it("applies the CSRF check to Access-authenticated writes", async () => {
    const token = await assertion("root@example.com");
    const headers = { "content-type": "application/json" };
    const req = (extra: Record<string, string>) =>
      app.fetch(
        new Request(`${ISSUER}/api/v1/invitations`, {
          method: "POST",
          headers: { ...headers, ...extra, "cf-access-jwt-assertion": token, "cf-connecting-ip": "198.18.4.2" },
          body: JSON.stringify({ email: "via-access@example.com", role: "viewer" }),
        }),
        accessEnv(),
        createExecutionContext(),
      );
    const refused = await req({});
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe("csrf");
    const ok = await req({ origin: ISSUER });
    expect(ok.status).toBe(201);
    expect((await json(ok)).email).toBe("via-access@example.com");
    const audit = (await json(await machine.admin("GET", "/audit?action=invitation.create"))).events[0];
    expect(audit.actor).toBe("user:root@example.com");
  });

  it("ignores the header when Access is not configured", async () => {
    const token = await assertion("root@example.com");
    const res = await viaAccess(token, {}, { ...env });
    expect(res.status).toBe(401);
    const deployed = await call("/api/v1/me", { headers: { "cf-access-jwt-assertion": token } });
    expect(deployed.status).toBe(401);
  });
});

describe("password hashing", () => {
  it("stores pbkdf2-sha256 at 100,000 iterations and verifies in constant time", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword(PASSWORD, stored)).toBe("match");
    expect(await verifyPassword(`${PASSWORD}!`, stored)).toBe("mismatch");
    expect(await hashPassword(PASSWORD)).not.toBe(stored);
    await expect(hashPassword(PASSWORD, PBKDF2_MAX_ITERATIONS + 1)).rejects.toThrow(RangeError);
  });

  it("refuses a stored hash that claims 200,000 iterations without computing it, even for the right password", async () => {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(PASSWORD), "PBKDF2", false, [
      "deriveBits",
    ]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations: 200_000 },
      material,
      256,
    );
    const heavy = `pbkdf2-sha256$200000$${toBase64url(salt)}$${toBase64url(new Uint8Array(bits))}`;
    expect(await verifyPassword(PASSWORD, heavy)).toBe("unsupported");
    expect(await verifyPassword(PASSWORD, `pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$${"A".repeat(43)}`)).toBe(
      "unsupported",
    );
    expect(await verifyPassword(PASSWORD, "plaintext")).toBe("unsupported");

    await insertUser(primaryDb(env.DB), {
      id: "usr_heavy",
      tenantId: "default",
      email: "heavy@example.com",
      name: "Heavy",
      role: "viewer",
      passwordHash: heavy,
      createdAt: Date.now(),
      createdBy: "test",
      lastSignInAt: null,
    }).run();
    const res = await login("heavy@example.com", PASSWORD, "198.18.5.1");
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe("invalid_credentials");
    const event = (
      await json(await machine.admin("GET", "/audit?action=auth.sign_in.failure&actor=user:heavy@example.com"))
    ).events[0];
    expect(event.detail).toEqual({ reason: "unsupported_hash" });
  });

  it("names the cookie for the issuer's scheme: __Host- with Secure on https, plain on local http", () => {
    expect(sessionCookie("https://latchkey.test", "v", 43200)).toBe(
      `${COOKIE}=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure`,
    );
    expect(sessionCookie("http://127.0.0.1:8787", "v", 0)).toBe(
      "latchkey_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
    );
    expect(owner.email).toBe("root@example.com");
  });
});
