// The production runtime for the bench and the profiler: workerd driven through Miniflare's API, serving the
// bundle `wrangler deploy --dry-run --outdir` writes, with the bindings wrangler derives from the bench's own
// config (real D1, KV, Durable Objects, rate limits, assets; limits raised) and the D1 migrations applied.
// No dev proxy and no log transport: the Worker's console output is drained and dropped, as Workers Logs would.
// Every instance listens on 127.0.0.1 only and is disposed by the caller (stopAll stops what is left).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";
import { ROOT, readDevVars } from "../scripts/lib.mjs";
import { floorClientKey } from "./floor-client-key.mjs";

const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");
const started = new Set();

/** Builds the deployable bundle with `wrangler deploy --dry-run`; returns its directory and the reported sizes. */
export function dryRunBundle(config, cwd = ROOT) {
  const outdir = mkdtempSync(path.join(tmpdir(), "latchkey-bundle-"));
  const result = spawnSync(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir, "--config", config], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.stderr}${result.stdout}`);
  const size = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(result.stdout + result.stderr);
  return { outdir, upload: size?.[1] ?? "?", gzip: size?.[2] ?? "?" };
}

/**
 * The tree at git `ref` (a commit to A/B against) in a temporary directory beside this one's node_modules, with
 * its own raised-limits config. Returns { dir, config, remove() }.
 */
export function checkoutAt(ref) {
  const dir = mkdtempSync(path.join(tmpdir(), "latchkey-ref-"));
  execFileSync("sh", ["-c", `git archive ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const source = readFileSync(path.join(dir, "wrangler.toml"), "utf8");
  const config = path.join(dir, ".wrangler-bench.toml");
  writeFileSync(
    config,
    source.replace(/simple = \{ limit = \d+, period = (\d+) \}/g, "simple = { limit = 100000000, period = $1 }"),
  );
  return { dir, config, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** pids of this process's workerd children. */
function workerdChildren() {
  try {
    const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
    return out
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter(([, comm]) => comm === "workerd")
      .map(([pid]) => Number(pid));
  } catch {
    return [];
  }
}

async function startMiniflare(options) {
  const before = new Set(workerdChildren());
  const startedAt = performance.now();
  const mf = new Miniflare({
    host: "127.0.0.1",
    // Miniflare's defaults suit development: a per-request log call back into Node and a fetched cf blob.
    logRequests: false,
    cf: false,
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
    ...options,
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const readyMs = performance.now() - startedAt;
  started.add(mf);
  const pid = workerdChildren().find((p) => !before.has(p)) ?? null;
  const dispose = async () => {
    started.delete(mf);
    await mf.dispose();
  };
  return { mf, url, pid, readyMs, dispose };
}

async function applyMigrations(mf, dir) {
  const db = await mf.getD1Database("DB");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const sql = readFileSync(path.join(dir, file), "utf8").replaceAll("--> statement-breakpoint", "");
    for (const statement of unstable_splitSqlQuery(sql)) await db.prepare(statement).run();
  }
}

/**
 * Starts Latchkey's bundle (from dryRunBundle) under workerd with the bindings of `config`, fresh state in a
 * temporary directory, migrations applied, and the secrets of .dev.vars. Requests reach the Worker directly, as
 * Cloudflare routes the run_worker_first paths in production; `withAssets` puts Miniflare's asset router (two
 * more Workers in the same process, whose CPU production does not bill to the Worker) in front. Storage is
 * in memory unless `onDisk` (BENCH_ON_DISK=1): the same D1, KV and SQLite-backed Durable Object code, without
 * the local disk writes that production's storage does outside the Worker's process. `extra` adds
 * Miniflare options (an inspector port for the profiler). Returns { url, pid, mf, dispose }.
 */
export async function startLatchkey({
  config,
  bundle,
  port,
  name = "latchkey",
  withAssets = false,
  onDisk = process.env.BENCH_ON_DISK === "1",
  extra = {},
}) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  const state = mkdtempSync(path.join(tmpdir(), "latchkey-state-"));
  const { ratelimits, bindings, assets, ...rest } = workerOptions;
  const instance = await startMiniflare({
    ...rest,
    name,
    modules: true,
    modulesRoot: bundle.outdir,
    scriptPath: path.join(bundle.outdir, "index.js"),
    bindings: { ...bindings, ...readDevVars(), ISSUER: `http://127.0.0.1:${port}` },
    ratelimits: Object.fromEntries(Object.entries(ratelimits ?? {}).map(([k, v]) => [k, { simple: v.simple }])),
    port,
    ...(withAssets ? { assets } : {}),
    ...(onDisk
      ? {
          d1Persist: path.join(state, "d1"),
          kvPersist: path.join(state, "kv"),
          durableObjectsPersist: path.join(state, "do"),
        }
      : {}),
    ...extra,
  });
  await applyMigrations(instance.mf, path.join(path.dirname(config), "migrations"));
  return {
    ...instance,
    dispose: async () => {
      await instance.dispose();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the floor Worker (bench/floor-worker.js, bundled with esbuild) under workerd, with the public key of
 * this process's floor client (floor-client-key.mjs) for its verify scenario.
 */
export async function startFloor({ port, extra = {} } = {}) {
  const { publicJwk } = await floorClientKey();
  const result = await build({
    entryPoints: [path.join(ROOT, "bench", "floor-worker.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  return startMiniflare({
    name: "floor",
    modules: true,
    script: result.outputFiles[0].text,
    compatibilityDate: "2026-04-26",
    bindings: { CLIENT_PUBLIC_JWK: JSON.stringify(publicJwk) },
    port,
    ...extra,
  });
}

/** Disposes every instance still running (on failure paths). */
export async function stopAll() {
  await Promise.allSettled([...started].map((mf) => mf.dispose()));
  started.clear();
}

/** utime + stime of a process, in ms (from /proc/<pid>/stat); null where /proc is not readable. */
export function cpuMs(pid) {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  } catch {
    return null;
  }
}

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();
