/**
 * The CLI's commands against the Latchkey-shaped double: setup (key and secret mode, every failure
 * with its exit code), token (stdout, cache, revoked credential), status, logout, env credentials,
 * and several real processes sharing one mint through the lock.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calculateJwkThumbprint, decodeJwt, type JWK } from "jose";
import { loadPrivateKeyFile } from "../../src/cli/credentials.js";
import { buildCli, closedPortUrl, removeTempDirs, runCli, spawnCli, tempConfigDir } from "./cli-helpers.js";
import { startFakeLatchkey, type FakeLatchkey } from "./fake-latchkey.js";

let fake: FakeLatchkey;
beforeAll(async () => {
  fake = await startFakeLatchkey();
});
afterAll(async () => {
  await fake.close();
  await removeTempDirs();
});

async function setUp(args: string[] = []): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await tempConfigDir();
  const env = { LATCHKEY_CONFIG_DIR: dir };
  const code = `lksc_${crypto.randomUUID()}`;
  fake.codes.add(code);
  const r = await runCli(["setup", fake.url, code, ...args], { env });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return { dir, env };
}

describe("arguments", () => {
  it("prints help with the exit codes, and rejects bad usage with exit 2", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("5  network error or server unreachable");
    for (const cmd of ["setup", "token", "status", "logout"]) {
      const r = await runCli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: latchkey ${cmd}`);
    }
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["token", "--bogus"])).code).toBe(2);
    expect((await runCli(["token", "--profile"])).code).toBe(2);
    expect((await runCli(["setup", fake.url])).code).toBe(2);
    expect((await runCli(["setup", "ftp://x", "lksc_a"])).code).toBe(2);
    expect((await runCli(["token", "--profile", "../etc"])).code).toBe(2);
  });
});

describe("setup", () => {
  it("key mode: sends only a public JWK, stores the private key 0600, proves the setup", async () => {
    const dir = await tempConfigDir();
    const code = `lksc_${crypto.randomUUID()}`;
    fake.codes.add(code);
    const r = await runCli(["setup", `${fake.url}/`, code, "--hostname", "build-01"], {
      env: { LATCHKEY_CONFIG_DIR: dir },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Setup verified");
    expect(r.stdout).toMatch(/service: +svc:fake-bot/);
    expect(r.stdout).toMatch(/audience: +https:\/\/api\.example\.test/);
    expect(r.stdout).toMatch(/scopes: +read/);
    const sent = JSON.parse(fake.requests.find((q) => q.path === "/setup/redeem" && q.body.includes(code))!.body) as {
      public_jwk: JWK;
      mode: string;
      hostname: string;
    };
    expect(sent.mode).toBe("key");
    expect(sent.hostname).toBe("build-01");
    expect(Object.keys(sent.public_jwk).sort()).toEqual(["crv", "kty", "x", "y"]);
    const file = join(dir, "profiles", "default.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, "utf8")) as { private_jwk: JWK; auth_method: string };
    expect(stored.auth_method).toBe("private_key_jwt");
    expect(stored.private_jwk.kid).toBe(await calculateJwkThumbprint(sent.public_jwk));
    expect(r.stdout + r.stderr).not.toContain(stored.private_jwk.d!);
  });

  it("secret mode: stores the secret, never prints it; refuses to overwrite without --force", async () => {
    const { dir, env } = await setUp(["--secret", "--profile", "ci"]);
    const stored = JSON.parse(await readFile(join(dir, "profiles", "ci.json"), "utf8")) as { client_secret: string };
    expect(stored.client_secret).toMatch(/^lks_[A-Za-z0-9_-]{49}$/);
    const status = await runCli(["status"], { env });
    expect(status.stdout).toContain("client_secret_basic");
    expect(status.stdout).not.toContain(stored.client_secret);
    const code = `lksc_${crypto.randomUUID()}`;
    fake.codes.add(code);
    const again = await runCli(["setup", fake.url, code, "--secret", "--profile", "ci"], { env });
    expect(again).toMatchObject({ code: 1 });
    expect(again.stderr).toContain("already exists");
    expect(fake.codes.has(code)).toBe(true);
  });

  it("exit 4 for an unknown, used or malformed code (and never echoes it)", async () => {
    const env = { LATCHKEY_CONFIG_DIR: await tempConfigDir() };
    const bad = await runCli(["setup", fake.url, "lksc_not-a-real-code"], { env });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain("invalid, expired or already used");
    expect(bad.stderr).not.toContain("lksc_not-a-real-code");
    expect((await runCli(["setup", fake.url, "hello"], { env })).code).toBe(4);
  });

  it("exit 5 when nothing listens; exit 1 for a non-Latchkey server and for 429", async () => {
    const env = { LATCHKEY_CONFIG_DIR: await tempConfigDir() };
    const refused = await runCli(["setup", await closedPortUrl(), "lksc_x"], { env });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("connection refused");

    const html = createServer((_q, s) => {
      s.writeHead(200, { "content-type": "text/html" });
      s.end("<html>hi</html>");
    });
    await new Promise<void>((r) => html.listen(0, "127.0.0.1", r));
    const wrong = await runCli(["setup", `http://127.0.0.1:${(html.address() as AddressInfo).port}`, "lksc_x"], {
      env,
    });
    html.close();
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("does not look like a Latchkey server");

    fake.override = (q) =>
      q.path === "/.well-known/oauth-authorization-server"
        ? {
            status: 200,
            body: {
              issuer: fake.url,
              token_endpoint: `${fake.url}/oauth/token`,
              token_endpoint_auth_methods_supported: ["client_secret_basic"],
            },
          }
        : undefined;
    const code = `lksc_${crypto.randomUUID()}`;
    fake.codes.add(code);
    const noKeys = await runCli(["setup", fake.url, code], { env });
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toContain("--secret");
    expect(fake.codes.has(code)).toBe(true);

    fake.override = (q) =>
      q.path === "/setup/redeem"
        ? { status: 429, body: { status: 429, code: "rate_limited" }, headers: { "retry-after": "30" } }
        : undefined;
    const limited = await runCli(["setup", fake.url, "lksc_x"], { env });
    fake.override = undefined;
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain("Try again in 30 s");
  });

  it("names the mode a setup code was issued for when the server refuses the other one", async () => {
    const env = { LATCHKEY_CONFIG_DIR: await tempConfigDir() };
    for (const [expected, args, hint] of [
      ["secret", [], "run setup again with --secret"],
      ["key", ["--secret"], "run setup again without --secret"],
    ] as const) {
      fake.override = (q) =>
        q.path === "/setup/redeem"
          ? {
              status: 400,
              body: {
                type: "https://latchkey.dev/problems/setup_mode_mismatch",
                title: "Wrong setup mode",
                status: 400,
                code: "setup_mode_mismatch",
                expected_mode: expected,
              },
            }
          : undefined;
      const r = await runCli(["setup", fake.url, "lksc_x", ...args], { env });
      fake.override = undefined;
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(hint);
      expect(r.stderr).toContain("The code is still unused.");
    }
  });
});

describe("token, status, logout", () => {
  it("prints only the token, reuses the cache, and exits 3 once the credential is revoked", async () => {
    const { dir, env } = await setUp();
    const before = fake.tokenRequests();
    const a = await runCli(["token"], { env });
    const b = await runCli(["token"], { env });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(b.stdout).toBe(a.stdout);
    expect(fake.tokenRequests()).toBe(before);
    const scoped = await runCli(["token", "--scope", "write read", "--resource", "https://api.two"], { env });
    expect(decodeJwt(scoped.stdout.trim())).toMatchObject({ scope: "read write", aud: "https://api.two" });
    expect((await readdir(join(dir, "cache"))).length).toBe(2);

    const status = await runCli(["status"], { env });
    expect(status.stdout).toContain("private_key_jwt");
    expect(status.stdout).toContain('scope "read write", resource https://api.two: expires');
    expect(status.stdout).not.toContain("eyJ");

    fake.clients.clear();
    const revoked = await runCli(["token", "--no-cache"], { env });
    expect(revoked.code).toBe(3);
    expect(revoked.stdout).toBe("");
    expect(revoked.stderr).toContain("revoked or expired");

    const out = await runCli(["logout"], { env });
    expect(out).toMatchObject({ code: 0 });
    expect(await readdir(join(dir, "cache"))).toEqual([]);
    expect((await runCli(["token"], { env })).code).toBe(1);
    expect((await runCli(["logout"], { env })).code).toBe(1);
  });

  it("remembers invalid_client across runs for 30 s and Retry-After of a 429, sending nothing meanwhile", async () => {
    const { dir, env } = await setUp(["--secret"]);
    const later = (ms: number) => ({ env, io: { now: () => Date.now() + ms } });
    const saved = new Map(fake.clients);
    fake.clients.clear();
    const before = fake.tokenRequests();
    const first = await runCli(["token", "--no-cache"], { env });
    expect(first.code).toBe(3);
    for (const args of [
      ["token", "--no-cache"],
      ["token", "--scope", "other"],
    ]) {
      const again = await runCli(args, { env });
      expect(again.code).toBe(3);
      expect(again.stderr).toMatch(/not asking the server again for (29|30) s/);
    }
    expect(fake.tokenRequests() - before).toBe(1);
    expect((await runCli(["token", "--no-cache"], later(31_000))).code).toBe(3);
    expect(fake.tokenRequests() - before).toBe(2);

    for (const [id, client] of saved) fake.clients.set(id, client);
    await runCli(["logout"], { env });
    expect(await readdir(join(dir, "cache"))).toEqual([]);
    const { env: env2 } = await setUp(["--secret"]);
    fake.override = (r) =>
      r.path === "/oauth/token"
        ? { status: 429, body: { error: "slow_down" }, headers: { "retry-after": "20" } }
        : undefined;
    const limited = await runCli(["token", "--scope", "read"], { env: env2 });
    fake.override = undefined;
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain("Retry after 20 s");
    const count = fake.tokenRequests();
    const waiting = await runCli(["token", "--scope", "read"], { env: env2 });
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toMatch(/Retry after (19|20) s/);
    expect(fake.tokenRequests()).toBe(count);
    const after = await runCli(["token", "--scope", "read"], { env: env2, io: { now: () => Date.now() + 21_000 } });
    expect(after.code).toBe(0);
    expect(fake.tokenRequests()).toBe(count + 1);
  });

  it("env credentials: secret, secret file, PKCS#8 PEM (kid = thumbprint); exit 2 when incomplete", async () => {
    fake.clients.set("lkc_envsecret", { secret: "lks_envsecret", label: "env" });
    const dir = await tempConfigDir();
    const base = { LATCHKEY_CONFIG_DIR: dir, LATCHKEY_URL: fake.url, LATCHKEY_CLIENT_ID: "lkc_envsecret" };
    expect((await runCli(["token"], { env: { ...base, LATCHKEY_CLIENT_SECRET: "lks_envsecret" } })).code).toBe(0);
    await writeFile(join(dir, "secret"), "lks_envsecret\n");
    const viaFile = await runCli(["token", "--no-cache"], {
      env: { ...base, LATCHKEY_CLIENT_SECRET_FILE: join(dir, "secret") },
    });
    expect(viaFile.code).toBe(0);
    expect((await runCli(["token"], { env: { ...base } })).code).toBe(2);
    expect((await runCli(["token"], { env: { LATCHKEY_CLIENT_ID: "x", LATCHKEY_CLIENT_SECRET: "y" } })).code).toBe(2);

    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await writeFile(join(dir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    const publicJwk = publicKey.export({ format: "jwk" }) as JWK;
    fake.clients.set("lkc_envkey", { publicJwk, label: "envkey" });
    const loaded = await loadPrivateKeyFile(join(dir, "key.pem"));
    expect(loaded).toMatchObject({ alg: "ES256", kid: await calculateJwkThumbprint(publicJwk) });
    const viaKey = await runCli(["token"], {
      env: { ...base, LATCHKEY_CLIENT_ID: "lkc_envkey", LATCHKEY_PRIVATE_KEY_FILE: join(dir, "key.pem") },
    });
    expect(viaKey.code).toBe(0);
    expect(decodeJwt(viaKey.stdout.trim()).sub).toBe("lkc_envkey");
  });

  it("concurrent processes share one mint (lock file + cache)", async () => {
    const cli = await buildCli();
    const { env } = await setUp();
    const before = fake.tokenRequests();
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => spawnCli(cli, ["token", "--scope", "read"], { env })),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
    expect(new Set(runs.map((r) => r.stdout)).size).toBe(1);
    expect(fake.tokenRequests() - before).toBe(1);
    const help = await spawnCli(cli, ["--help"]);
    expect(help.code).toBe(0);
  });
});
