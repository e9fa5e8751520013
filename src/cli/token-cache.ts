/**
 * On-disk token cache: `<config>/cache/<profile>-<hash>.json` (0600), one file per profile, scope and
 * resource. A cached token is reused while less than `ratio` (80%) of its lifetime has passed. Refreshes
 * are serialized across processes with a lock file next to the cache file; whoever waited re-reads it.
 */
import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { refreshDeadline } from "../client/token-source.js";
import { ensurePrivateDir, readJson, writeJsonAtomic } from "./store.js";
import { withLock, type LockOptions } from "./lock.js";

/** A cached token. Times are milliseconds since the epoch. */
export interface CachedToken {
  access_token: string;
  token_type: string;
  scope: string;
  resource?: string;
  /** RFC 9449: the thumbprint of the DPoP key a bound token (token_type DPoP) is bound to. */
  dpop_jkt?: string;
  obtained_at: number;
  expires_at: number;
}

/** Canonical scope: unique tokens, sorted, space-separated. */
export function canonicalScope(scope: string | undefined): string {
  return [...new Set((scope ?? "").split(/\s+/).filter(Boolean))].sort().join(" ");
}

/** Cache file path for a profile (or env credential key), scope, resource and DPoP key (bound tokens apart). */
export function cachePath(
  dir: string,
  profile: string,
  key: { issuer: string; clientId: string; scope?: string; resource?: string; dpopJkt?: string },
): string {
  const parts = [key.issuer, key.clientId, canonicalScope(key.scope), key.resource ?? ""];
  const material = JSON.stringify(key.dpopJkt ? [...parts, key.dpopJkt] : parts);
  const hash = createHash("sha256").update(material).digest("hex").slice(0, 16);
  return join(dir, "cache", `${profile}-${hash}.json`);
}

/**
 * True when the token may still be handed out: before the SDK's refresh deadline (`ratio` of its lifetime,
 * no jitter: one CLI run is not a fleet), not about to expire, and not obtained in the future (clock moved back).
 */
export function isFresh(entry: CachedToken, now: number, ratio = 0.8): boolean {
  if (entry.expires_at <= entry.obtained_at || now < entry.obtained_at - 60_000) return false;
  return now < refreshDeadline(entry.obtained_at, entry.expires_at, ratio, 0) && now < entry.expires_at - 5_000;
}

/** Reads a cache file; undefined when absent or malformed. */
export async function readCache(path: string): Promise<CachedToken | undefined> {
  const data = (await readJson(path)) as Partial<CachedToken> | undefined;
  if (
    !data ||
    typeof data.access_token !== "string" ||
    typeof data.expires_at !== "number" ||
    typeof data.obtained_at !== "number"
  ) {
    return undefined;
  }
  return data as CachedToken;
}

/**
 * Returns a fresh cached token or mints one. At most one process mints for a given cache file at a time:
 * the others wait on the lock, then find the new token in the cache. Creates the config and cache
 * directories (0700) once, before the lock file goes in; the cache file is written atomically (0600).
 */
export async function cachedOrMint(
  path: string,
  mint: () => Promise<CachedToken>,
  options: { now: () => number; ratio?: number; lock?: LockOptions },
): Promise<{ entry: CachedToken; fromCache: boolean }> {
  const first = await readCache(path);
  if (first && isFresh(first, options.now(), options.ratio)) return { entry: first, fromCache: true };
  await ensurePrivateDir(join(path, "..", ".."));
  await ensurePrivateDir(join(path, ".."));
  return withLock(
    `${path}.lock`,
    async () => {
      const again = await readCache(path);
      if (again && isFresh(again, options.now(), options.ratio)) return { entry: again, fromCache: true };
      const entry = await mint();
      await writeJsonAtomic(path, entry);
      return { entry, fromCache: false };
    },
    options.lock,
  );
}

/** Lists a profile's cached tokens (file paths). */
export async function listCache(dir: string, profile: string): Promise<string[]> {
  try {
    const files = await readdir(join(dir, "cache"));
    return files
      .filter((f) => f.startsWith(`${profile}-`) && /^[0-9a-f]{16}\.json$/.test(f.slice(profile.length + 1)))
      .map((f) => join(dir, "cache", f));
  } catch {
    return [];
  }
}

/** Deletes every cache and backoff file (and leftover lock or temp file) of a profile; returns how many tokens were removed. */
export async function clearCache(dir: string, profile: string): Promise<number> {
  const cacheDir = join(dir, "cache");
  let files: string[];
  try {
    files = await readdir(cacheDir);
  } catch {
    return 0;
  }
  const prefix = `${profile}-`;
  const own = /^[0-9a-f]{16}(\.backoff)?\.json(\.lock|\.\d+\.[0-9a-f]+\.tmp)?$/;
  const mine = files.filter((f) => f.startsWith(prefix) && own.test(f.slice(prefix.length)));
  await Promise.all(mine.map((f) => rm(join(cacheDir, f), { force: true })));
  return mine.filter((f) => f.endsWith(".json") && !f.endsWith(".backoff.json")).length;
}
