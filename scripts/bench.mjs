#!/usr/bin/env node
// `npm run bench`: the token endpoint in the runtime it runs in. workerd through Miniflare's API serves the bundle
// `wrangler deploy --dry-run` writes, with real D1, KV, Durable Object and rate-limit bindings (limits raised in
// the bench's own generated config, never in wrangler.toml) and the migrations applied; a second workerd serves
// the floor (bench/floor-worker.js). Scenarios (bench/scenarios/) run in interleaved rounds at 32 connections on
// loopback, so drift on this shared machine weighs on all alike; the figures that matter are the ratios within
// one run. BENCH_BASELINE=<git ref> also serves that commit's bundle and interleaves its rounds (an A/B run).
// Bounded: (warm-up + ROUNDS x SECONDS) per scenario and bundle; everything started is stopped at the end.
// Env: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (1), BENCH_SCENARIOS (all, comma-separated),
// BENCH_MAX_RATE (5000 req/s: sizes per-request pools), BENCH_ASSETS=1 (Miniflare's asset router in front),
// BENCH_ON_DISK=1 (storage persisted to a temporary directory instead of memory), BENCH_LATENCY_CONNECTIONS
// (8: one more round per scenario at each of these comma-separated connection counts, for the latency tail;
// empty to skip), BENCH_PIN=1 (workerd on core 1, the load tool on core 0: bench/latency.mjs).
// `npm run bench:dev` keeps the former wrangler dev figures.
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { makeFixtures } from "../bench/fixtures.mjs";
import { latencyTable, pin } from "../bench/latency.mjs";
import { combine, ratio, runOnce } from "../bench/load.mjs";
import { checkoutAt, dryRunBundle, startFloor, startLatchkey, stopAll } from "../bench/runtime.mjs";
import { SCENARIOS } from "../bench/scenarios/index.mjs";
import { writeRaisedLimitsConfig } from "./lib.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 5000);
const BASELINE = process.env.BENCH_BASELINE;
const CONNECTIONS = 32;
const LATENCY_CONNECTIONS = (process.env.BENCH_LATENCY_CONNECTIONS ?? "8").split(",").filter(Boolean).map(Number);
const PIN = process.env.BENCH_PIN === "1";
const PORT = Number(process.env.BENCH_PORT ?? 8788);
const only = process.env.BENCH_SCENARIOS?.split(",");
const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));

/** The ratios the issue sets targets for: [numerator, denominator, target, description]. */
const RATIOS = [
  ["secret", "floor", 0.8, "secret mint / floor"],
  ["pkjwt", "secret", 0.6, "private_key_jwt / secret mint"],
  ["jwks", "healthz", 0.9, "JWKS / trivial"],
];
/** Ratios printed without a target. */
const INFO_RATIOS = [
  ["floor-verify", "floor", "(floor + ES256 verify) / floor"],
  ["pkjwt", "floor-verify", "private_key_jwt / (floor + ES256 verify)"],
  ["token-exchange", "secret", "token exchange / secret mint"],
  ["dpop-mint", "secret", "DPoP secret mint / secret mint"],
];
const P99_TARGET_MS = 20;

/** A Latchkey instance with its own fixtures (credentials are per instance; the issuer names its port). */
async function latchkeyAt(config, bundle, port, name) {
  const instance = await startLatchkey({ config, bundle, port, name, withAssets: process.env.BENCH_ASSETS === "1" });
  let fixtures;
  instance.bench = {
    maxRequests: MAX_RATE * (SECONDS * (ROUNDS + LATENCY_CONNECTIONS.length) + WARMUP),
    maxRequestsPerRun: MAX_RATE * Math.max(SECONDS, WARMUP),
    fixtures: () => {
      fixtures ??= makeFixtures(instance.url, `http://127.0.0.1:${port}`);
      return fixtures;
    },
  };
  return instance;
}

/** One row of the table per (scenario, instance): its key, label, the instance and the prepared load. */
async function entries(instances, out) {
  for (const s of scenarios) {
    const on = s.target === "floor" ? [["", instances.floor]] : instances.latchkeys;
    for (const [suffix, instance] of on) {
      out.push({ key: s.name + suffix, label: s.label + suffix, s, instance, load: await s.prepare(instance.bench) });
    }
  }
}

function printRatios(results, suffix) {
  for (const [a, b, target, text] of RATIOS) {
    if (!results.has(a + suffix) || !results.has(b + suffix)) continue;
    const q = ratio(results.get(a + suffix), results.get(b + suffix));
    const verdict = q.overall >= target ? "met" : "NOT met";
    console.log(
      `${text}${suffix}: ${q.overall.toFixed(2)}x (rounds ${q.min.toFixed(2)}-${q.max.toFixed(2)}; target >= ${target}x: ${verdict})`,
    );
  }
  for (const [a, b, text] of INFO_RATIOS) {
    if (!results.has(a + suffix) || !results.has(b + suffix)) continue;
    const q = ratio(results.get(a + suffix), results.get(b + suffix));
    console.log(`${text}${suffix}: ${q.overall.toFixed(2)}x (rounds ${q.min.toFixed(2)}-${q.max.toFixed(2)})`);
  }
  printBound(results, suffix);
}

/**
 * The physical bound of the private_key_jwt target: a mint that verifies the assertion costs at least the floor
 * plus one verify, so when (floor + verify) / floor is under the target, no such design can meet it; the next
 * best is pkjwt / (floor + verify) as close to secret / floor as the secret mint is to its own floor.
 */
function printBound(results, suffix) {
  const [floor, verify, secret, pkjwt] = ["floor", "floor-verify", `secret${suffix}`, `pkjwt${suffix}`].map((k) =>
    results.get(k),
  );
  if (!floor || !verify || !secret || !pkjwt) return;
  const bound = verify.reqPerSec / floor.reqPerSec;
  const target = RATIOS.find(([a]) => a === "pkjwt")[2];
  const own = pkjwt.reqPerSec / verify.reqPerSec;
  const secretOwn = secret.reqPerSec / floor.reqPerSec;
  console.log(
    `physical bound${suffix}: (floor + verify) / floor ${bound.toFixed(2)}x ${bound < target ? `< ${target}x: no design that verifies the signature can reach private_key_jwt / secret >= ${target}x on this runtime` : `>= ${target}x: the signature alone does not keep private_key_jwt under the target`}; private_key_jwt / (floor + verify) ${own.toFixed(2)}x against secret / floor ${secretOwn.toFixed(2)}x`,
  );
}

const config = writeRaisedLimitsConfig();
const bundle = dryRunBundle(config);
const ref = BASELINE ? checkoutAt(BASELINE) : null;
const refBundle = ref ? dryRunBundle(ref.config, ref.dir) : null;
let failed = false;
const rows = [];
try {
  const latchkeys = [["", await latchkeyAt(config, bundle, PORT, "latchkey")]];
  if (ref) latchkeys.push([` @${BASELINE}`, await latchkeyAt(ref.config, refBundle, PORT + 2, "baseline")]);
  const floor = await startFloor({ port: PORT + 1 });
  floor.bench = { maxRequests: 0, fixtures: async () => ({}) };
  await entries({ latchkeys, floor }, rows);
  const pinned =
    PIN && [...latchkeys.map(([, i]) => i.pid), floor.pid].every((pid) => pin(pid, 1)) && pin(process.pid, 0);
  if (PIN) console.log(pinned ? "Pinned: workerd on core 1, the load tool on core 0." : "BENCH_PIN=1: could not pin.");
  console.log(
    `Latchkey bench: workerd via Miniflare (no dev proxy), bundle from wrangler deploy --dry-run (${bundle.upload}, gzip ${bundle.gzip})${refBundle ? `; baseline ${BASELINE} (${refBundle.upload}, gzip ${refBundle.gzip})` : ""};`,
  );
  console.log(
    `${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per scenario after a ${WARMUP} s warm-up, loopback only.`,
  );
  console.log(
    `Load average before the runs: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} on ${cpus().length} cores (other work on the machine skews the figures; the ratios less).`,
  );
  const run = async (row, seconds) => {
    await row.load.refresh?.();
    return runOnce({ url: row.instance.url, load: row.load, connections: CONNECTIONS, seconds, pid: row.instance.pid });
  };
  if (WARMUP > 0) for (const row of rows) await run(row, WARMUP);
  const runs = new Map(rows.map((row) => [row.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) runs.get(row.key).push(await run(row, SECONDS));
  }
  const results = new Map(rows.map((row) => [row.key, combine(runs.get(row.key))]));
  console.table(
    rows.map((row) => {
      const r = results.get(row.key);
      return {
        scenario: row.label,
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
  for (const [suffix] of latchkeys) printRatios(results, suffix);
  if (ref) {
    for (const s of scenarios.filter((x) => x.target === "latchkey")) {
      const q = ratio(results.get(s.name), results.get(`${s.name} @${BASELINE}`));
      console.log(
        `${s.label}: this tree / ${BASELINE} ${q.overall.toFixed(2)}x (rounds ${q.min.toFixed(2)}-${q.max.toFixed(2)})`,
      );
    }
  }
  const slow = rows.filter(
    (row) => row.s.target === "latchkey" && !row.key.includes("@") && results.get(row.key).p99 > P99_TARGET_MS,
  );
  console.log(
    `p99 <= ${P99_TARGET_MS} ms at ${CONNECTIONS} connections: ${slow.length === 0 ? "met" : `NOT met (${slow.map((row) => row.key).join(", ")})`}`,
  );
  if (LATENCY_CONNECTIONS.length > 0) {
    const tailRows = rows.filter((row) => !row.key.includes("@"));
    console.log(
      `Latency tail: one round of ${SECONDS} s per scenario at ${LATENCY_CONNECTIONS.join(", ")} connections:`,
    );
    console.table(await latencyTable(tailRows, LATENCY_CONNECTIONS, SECONDS));
  }
  failed = [...results.values()].some((r) => r.non2xx > 0 || r.errors > 0);
  if (failed) console.log("FAILED: some requests did not answer 2xx (see non-2xx / errors above).");
} finally {
  await Promise.allSettled(rows.map((row) => row.load.close?.()));
  await stopAll();
  for (const b of [bundle, refBundle]) if (b) rmSync(b.outdir, { recursive: true, force: true });
  ref?.remove();
  rmSync(config, { force: true });
}
if (failed) process.exitCode = 1;
