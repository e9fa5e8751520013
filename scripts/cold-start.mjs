#!/usr/bin/env node
// `npm run cold-start`: the bundle's size and the isolate's startup cost in the bench's runtime. Builds the
// bundle with `wrangler deploy --dry-run` (its Total Upload and gzip), then COLD_RUNS (5) times starts a fresh
// workerd (Miniflare) with it and with the floor Worker, and times: until the runtime is ready (process start,
// script parse and instantiation), the first response (GET /healthz), and the first token-endpoint answer
// (an unauthenticated POST /oauth/token: parsing, the registries, the error renderer), and that token request
// again as the very first request of another fresh instance. The floor's figures
// are the runtime's own share; the difference is Latchkey's. COLD_BASELINE=<git ref> also starts that commit's
// bundle in every run, interleaved, for a before/after in one process. Stops everything it starts.
import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { checkoutAt, dryRunBundle, startFloor, startLatchkey, stopAll } from "../bench/runtime.mjs";
import { writeRaisedLimitsConfig } from "./lib.mjs";

const RUNS = Number(process.env.COLD_RUNS ?? 5);
const BASELINE = process.env.COLD_BASELINE;
const PORT = 8796;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

const tokenRequest = async (url) =>
  (
    await fetch(`${url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    })
  ).arrayBuffer();

async function firstResponses(url, withToken) {
  const [health] = await timed(async () => (await fetch(`${url}/healthz`)).arrayBuffer());
  if (!withToken) return { health, token: null };
  const [token] = await timed(() => tokenRequest(url));
  return { health, token };
}

const config = writeRaisedLimitsConfig();
const bundle = dryRunBundle(config);
const ref = BASELINE ? checkoutAt(BASELINE) : null;
const refBundle = ref ? dryRunBundle(ref.config, ref.dir) : null;
const rows = { latchkey: [], ...(ref ? { [`latchkey @${BASELINE}`]: [] } : {}), floor: [] };
const latchkeys = [["latchkey", config, bundle], ...(ref ? [[`latchkey @${BASELINE}`, ref.config, refBundle]] : [])];
try {
  console.log(`Bundle (wrangler deploy --dry-run): Total Upload ${bundle.upload}, gzip ${bundle.gzip}.`);
  if (refBundle) console.log(`Baseline ${BASELINE}: Total Upload ${refBundle.upload}, gzip ${refBundle.gzip}.`);
  for (let i = 0; i < RUNS; i++) {
    // Alternating the order each run, so neither bundle always starts first.
    for (const [name, cfg, b] of i % 2 === 0 ? latchkeys : [...latchkeys].reverse()) {
      const instance = await startLatchkey({ config: cfg, bundle: b, port: PORT });
      rows[name].push({ ready: instance.readyMs, ...(await firstResponses(instance.url, true)) });
      await instance.dispose();
      // A cold isolate's first request is usually a token request: timed again on a fresh instance.
      const cold = await startLatchkey({ config: cfg, bundle: b, port: PORT });
      rows[name].at(-1).tokenFirst = (await timed(() => tokenRequest(cold.url)))[0];
      await cold.dispose();
    }
    const floor = await startFloor({ port: PORT + 1 });
    rows.floor.push({ ready: floor.readyMs, ...(await firstResponses(floor.url, false)) });
    await floor.dispose();
  }
  const ms = (x) => (x === null ? "n/a" : `${x.toFixed(1)} ms`);
  const summary = (name, list) => ({
    worker: name,
    "ready (median)": ms(median(list.map((r) => r.ready))),
    "first /healthz (median)": ms(median(list.map((r) => r.health))),
    "first /oauth/token (median)": list[0].token === null ? "n/a" : ms(median(list.map((r) => r.token))),
    "/oauth/token as the very first (median)":
      list[0].tokenFirst === undefined ? "n/a" : ms(median(list.map((r) => r.tokenFirst))),
    "first /healthz, all runs": list.map((r) => r.health.toFixed(1)).join(" "),
  });
  console.log(`${RUNS} fresh instances each (ready: from new Miniflare() to the runtime answering; migrations after):`);
  console.table(Object.entries(rows).map(([name, list]) => summary(name, list)));
} finally {
  await stopAll();
  rmSync(bundle.outdir, { recursive: true, force: true });
  if (refBundle) rmSync(refBundle.outdir, { recursive: true, force: true });
  ref?.remove();
  rmSync(config, { force: true });
}
