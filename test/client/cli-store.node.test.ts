/** Config directory, profile storage (modes 0700/0600, atomic writes) and the token cache decisions. */
import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configDir, writeJsonAtomic } from "../../src/cli/store.js";
import {
  deleteProfile,
  listProfiles,
  loadProfile,
  publicView,
  saveProfile,
  type Profile,
} from "../../src/cli/profiles.js";
import { cachePath, cachedOrMint, clearCache, isFresh, type CachedToken } from "../../src/cli/token-cache.js";
import { refreshDeadline } from "../../src/client/token-source.js";
import { acquire, withLock } from "../../src/cli/lock.js";
import { removeTempDirs, tempConfigDir } from "./cli-helpers.js";

afterAll(() => removeTempDirs());

const mode = async (p: string) => (await stat(p)).mode & 0o777;

const profile = (name: string): Profile => ({
  version: 1,
  name,
  issuer: "http://127.0.0.1:8790",
  token_endpoint: "http://127.0.0.1:8790/oauth/token",
  client_id: "lkc_abc",
  auth_method: "client_secret_basic",
  client_secret: "lks_topsecret",
  service: "svc:bot",
  created_at: "2026-01-01T00:00:00Z",
});

describe("configDir", () => {
  it("prefers LATCHKEY_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config", () => {
    expect(configDir({ LATCHKEY_CONFIG_DIR: "/a", XDG_CONFIG_HOME: "/x" }, "/home/u")).toBe("/a");
    expect(configDir({ XDG_CONFIG_HOME: "/x" }, "/home/u")).toBe("/x/latchkey");
    expect(configDir({}, "/home/u")).toBe("/home/u/.config/latchkey");
  });
});

describe("profiles", () => {
  it("are stored with directory 0700 and file 0600 and round-trip", async () => {
    const dir = join(await tempConfigDir(), "nested", "latchkey");
    const path = await saveProfile(dir, profile("default"));
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, "profiles"))).toBe(0o700);
    expect(await mode(path)).toBe(0o600);
    expect(await loadProfile(dir, "default")).toEqual(profile("default"));
    await saveProfile(dir, profile("ci"));
    expect(await listProfiles(dir)).toEqual(["ci", "default"]);
    expect(await deleteProfile(dir, "ci")).toBe(true);
    expect(await deleteProfile(dir, "ci")).toBe(false);
    expect(await readdir(join(dir, "profiles"))).toEqual(["default.json"]);
  });

  it("tightens an existing too-open directory", async () => {
    const dir = await tempConfigDir();
    await mkdir(join(dir, "profiles"), { mode: 0o755 });
    await saveProfile(dir, profile("p"));
    expect(await mode(join(dir, "profiles"))).toBe(0o700);
  });

  it("shows nothing secret in the public view", () => {
    const view = JSON.stringify(publicView({ ...profile("x"), private_jwk: { kty: "EC", d: "PRIVATE", kid: "k1" } }));
    expect(view).not.toContain("lks_topsecret");
    expect(view).not.toContain("PRIVATE");
    expect(view).toContain("k1");
  });
});

describe("writeJsonAtomic", () => {
  it("never exposes a partial file and leaves no temp files under concurrent writers", async () => {
    const dir = await tempConfigDir();
    const path = join(dir, "f.json");
    const big = (i: number) => ({ i, pad: "x".repeat(200_000) });
    let torn = 0;
    const reader = (async () => {
      for (let n = 0; n < 200; n++) {
        try {
          JSON.parse(await readFile(path, "utf8"));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") torn++;
        }
      }
    })();
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeJsonAtomic(path, big(i))));
    await reader;
    expect(torn).toBe(0);
    expect(await readdir(dir)).toEqual(["f.json"]);
    expect(await mode(path)).toBe(0o600);
  });
});

describe("token cache", () => {
  const entry = (obtained: number, lifetimeS = 3600): CachedToken => ({
    access_token: "eyJ.x.y",
    token_type: "Bearer",
    scope: "read",
    obtained_at: obtained,
    expires_at: obtained + lifetimeS * 1000,
  });

  it("is fresh until 80% of the lifetime, and never in the last 5 s", () => {
    const t0 = 1_800_000_000_000;
    expect(isFresh(entry(t0), t0)).toBe(true);
    expect(isFresh(entry(t0), t0 + 2879_000)).toBe(true);
    expect(isFresh(entry(t0), t0 + 2881_000)).toBe(false);
    expect(isFresh(entry(t0, 20), t0 + 15_500)).toBe(false);
    expect(isFresh(entry(t0), t0 - 3600_000)).toBe(false);
  });

  it("goes stale exactly at the SDK refresh deadline without jitter", () => {
    const t0 = 1_800_000_000_000;
    const deadline = refreshDeadline(t0, t0 + 3600_000, 0.5, 0);
    expect(deadline).toBe(t0 + 1800_000);
    expect(isFresh(entry(t0), deadline - 1, 0.5)).toBe(true);
    expect(isFresh(entry(t0), deadline, 0.5)).toBe(false);
    expect(isFresh(entry(t0, 0), t0)).toBe(false);
  });

  it("keys files by profile, canonical scope and resource", () => {
    const k = { issuer: "i", clientId: "c" };
    expect(cachePath("/d", "p", { ...k, scope: "b a a" })).toBe(cachePath("/d", "p", { ...k, scope: "a b" }));
    expect(cachePath("/d", "p", { ...k, scope: "a" })).not.toBe(
      cachePath("/d", "p", { ...k, scope: "a", resource: "https://r" }),
    );
    expect(cachePath("/d", "p", k)).toMatch(/^\/d\/cache\/p-[0-9a-f]{16}\.json$/);
  });

  it("reuses a fresh token and refreshes a stale one (injected clock)", async () => {
    const dir = await tempConfigDir();
    const path = cachePath(dir, "default", { issuer: "i", clientId: "c" });
    let now = 1_800_000_000_000;
    let mints = 0;
    const mint = async () => ({ ...entry(now), access_token: `t${++mints}` });
    expect((await cachedOrMint(path, mint, { now: () => now })).entry.access_token).toBe("t1");
    now += 1000_000;
    expect(await cachedOrMint(path, mint, { now: () => now })).toMatchObject({
      fromCache: true,
      entry: { access_token: "t1" },
    });
    now += 2000_000;
    expect(await cachedOrMint(path, mint, { now: () => now })).toMatchObject({
      fromCache: false,
      entry: { access_token: "t2" },
    });
    expect(await mode(path)).toBe(0o600);
    expect(await mode(join(dir, "cache"))).toBe(0o700);
    expect(await clearCache(dir, "default")).toBe(1);
    expect(await clearCache(dir, "defaul")).toBe(0);
  });

  it("serializes concurrent refreshes in one process: one mint", async () => {
    const dir = await tempConfigDir();
    const path = cachePath(dir, "p", { issuer: "i", clientId: "c" });
    let mints = 0;
    const mint = async () => {
      mints++;
      await new Promise((r) => setTimeout(r, 100));
      return entry(Date.now());
    };
    await Promise.all(
      Array.from({ length: 8 }, () => cachedOrMint(path, mint, { now: Date.now, lock: { pollMs: 10 } })),
    );
    expect(mints).toBe(1);
  });
});

describe("lock", () => {
  it("breaks a lock whose owner process is gone", async () => {
    const dir = await tempConfigDir();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    const { hostname } = await import("node:os");
    await writeFile(join(dir, "l.lock"), JSON.stringify({ pid: Number(dead), host: hostname(), at: Date.now() }));
    const started = Date.now();
    await withLock(join(dir, "l.lock"), async () => undefined, { timeoutMs: 2000 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("breaks a lock older than staleMs even if its owner lives, and times out otherwise", async () => {
    const dir = await tempConfigDir();
    const lock = join(dir, "l.lock");
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: "elsewhere", at: 0 }));
    await expect(acquire(lock, { staleMs: 60_000, timeoutMs: 200, pollMs: 20 })).rejects.toThrow(/Timed out/);
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    await expect(acquire(lock, { staleMs: 60_000, timeoutMs: 1000 })).resolves.toBeUndefined();
  });
});
