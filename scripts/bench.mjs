#!/usr/bin/env node
// `npm run bench`: the token endpoint in the runtime it runs in. workerd through Miniflare's API serves the bundle
// `wrangler deploy --dry-run` writes, with real D1, KV, Durable Object and rate-limit bindings (limits raised in
// the bench's own generated config, never in wrangler.toml) and the migrations applied; a second workerd serves
// the floor (bench/floor-worker.js). Scenarios (bench/scenarios/) run in interleaved rounds at 32 connections on
// loopback, so drift on this shared machine weighs on all alike; the figures that matter are the ratios within
// one run. Bounded: (warm-up + ROUNDS x SECONDS) per scenario; everything started is stopped at the end.
// Env: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (1), BENCH_SCENARIOS (all, comma-separated),
// BENCH_MAX_RATE (5000 req/s: sizes per-request pools), BENCH_ASSETS=1 (Miniflare's asset router in front). `npm run bench:dev` keeps the old wrangler dev figures.
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { makeFixtures } from "../bench/fixtures.mjs";
import { combine, ratio, runOnce } from "../bench/load.mjs";
import { dryRunBundle, startFloor, startLatchkey, stopAll } from "../bench/runtime.mjs";
import { SCENARIOS } from "../bench/scenarios/index.mjs";
import { writeRaisedLimitsConfig } from "./lib.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 5000);
const CONNECTIONS = 32;
const PORT = Number(process.env.BENCH_PORT ?? 8788);
const only = process.env.BENCH_SCENARIOS?.split(",");
const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));

/** The ratios the issue sets targets for: [numerator, denominator, target, description]. */
const RATIOS = [
  ["secret", "floor", 0.8, "secret mint / floor"],
  ["pkjwt", "secret", 0.6, "private_key_jwt / secret mint"],
  ["jwks", "healthz", 0.9, "JWKS / trivial"],
];
const P99_TARGET_MS = 20;

const config = writeRaisedLimitsConfig();
const bundle = dryRunBundle(config);
let failed = false;
try {
  const latchkey = await startLatchkey({ config, bundle, port: PORT, withAssets: process.env.BENCH_ASSETS === "1" });
  const floor = await startFloor({ port: PORT + 1 });
  const targets = { latchkey, floor };
  let fixtures;
  const bench = {
    maxRequests: MAX_RATE * (SECONDS * ROUNDS + WARMUP),
    fixtures: () => {
      fixtures ??= makeFixtures(latchkey.url, `http://127.0.0.1:${PORT}`);
      return fixtures;
    },
  };
  const loads = new Map();
  for (const s of scenarios) loads.set(s.name, await s.prepare(bench));
  console.log(
    `Latchkey bench: workerd via Miniflare (no dev proxy), bundle from wrangler deploy --dry-run (${bundle.upload}, gzip ${bundle.gzip});`,
  );
  console.log(
    `${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per scenario after a ${WARMUP} s warm-up; loopback ${latchkey.url} and ${floor.url}.`,
  );
  console.log(
    `Load average before the runs: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} on ${cpus().length} cores (other work on the machine skews the figures; the ratios less).`,
  );
  const run = (s, seconds) =>
    runOnce({
      url: targets[s.target].url,
      load: loads.get(s.name),
      connections: CONNECTIONS,
      seconds,
      pid: targets[s.target].pid,
    });
  if (WARMUP > 0) for (const s of scenarios) await run(s, WARMUP);
  const runs = new Map(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) runs.get(s.name).push(await run(s, SECONDS));
  }
  const results = new Map(scenarios.map((s) => [s.name, combine(runs.get(s.name))]));
  console.table(
    scenarios.map((s) => {
      const r = results.get(s.name);
      return {
        scenario: s.label,
        "req/s": Math.round(r.reqPerSec),
        "rounds req/s": r.perRound.map(Math.round).join(" "),
        "p50 ms": r.p50,
        "p99 ms": r.p99,
        "workerd CPU us/req": r.workerdUsPerReq === null ? "n/a" : Math.round(r.workerdUsPerReq),
        "load tool us/req": Math.round(r.toolUsPerReq ?? 0),
        "non-2xx": r.non2xx,
        errors: r.errors,
      };
    }),
  );
  for (const [a, b, target, text] of RATIOS) {
    if (!results.has(a) || !results.has(b)) continue;
    const q = ratio(results.get(a), results.get(b));
    const verdict = q.overall >= target ? "met" : "NOT met";
    console.log(
      `${text}: ${q.overall.toFixed(2)}x (rounds ${q.min.toFixed(2)}-${q.max.toFixed(2)}; target >= ${target}x: ${verdict})`,
    );
  }
  const slow = scenarios.filter((s) => s.target === "latchkey" && results.get(s.name).p99 > P99_TARGET_MS);
  console.log(
    `p99 <= ${P99_TARGET_MS} ms at ${CONNECTIONS} connections: ${slow.length === 0 ? "met" : `NOT met (${slow.map((s) => s.name).join(", ")})`}`,
  );
  failed = [...results.values()].some((r) => r.non2xx > 0 || r.errors > 0);
  if (failed) console.log("FAILED: some requests did not answer 2xx (see non-2xx / errors above).");
} finally {
  await stopAll();
  rmSync(bundle.outdir, { recursive: true, force: true });
  rmSync(config, { force: true });
}
if (failed) process.exitCode = 1;
