#!/usr/bin/env node
// `npm run profile [-- <scenario>]` (secret by default; any name in bench/scenarios): a V8 CPU profile of the
// Worker under load in the bench's runtime (workerd via Miniflare serving the dry-run bundle, real bindings,
// raised limits). Connects to workerd's inspector on 127.0.0.1, drives 16 connections for PROFILE_SECONDS (6),
// writes the profile to .bench/<scenario>-<time>.cpuprofile (open it in Chrome DevTools > Performance > Load
// profile, or in VS Code, for the flame chart) and prints the top self-time and inclusive-time entries.
// PROFILE_BASELINE=<git ref> profiles that commit's bundle instead (to set two profiles side by side).
// Stops what it starts.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { makeFixtures } from "../bench/fixtures.mjs";
import { runOnce } from "../bench/load.mjs";
import { checkoutAt, dryRunBundle, startFloor, startLatchkey, stopAll } from "../bench/runtime.mjs";
import { SCENARIOS } from "../bench/scenarios/index.mjs";
import { ROOT, writeRaisedLimitsConfig } from "./lib.mjs";

const PORT = 8794;
const INSPECTOR_PORT = 9239;
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 6);
const name = process.argv[2] ?? "secret";
const BASELINE = process.env.PROFILE_BASELINE;
const scenario = SCENARIOS.find((s) => s.name === name);
if (!scenario) {
  console.error(`Unknown scenario ${name}; one of ${SCENARIOS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}

function inspector(url) {
  const ws = new WebSocket(url);
  const waiting = new Map();
  let next = 0;
  ws.on("message", (raw) => {
    const msg = JSON.parse(String(raw));
    waiting.get(msg.id)?.(msg.result);
    waiting.delete(msg.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      next += 1;
      waiting.set(next, resolve);
      ws.send(JSON.stringify({ id: next, method, params }));
    });
  return new Promise((resolve) => ws.once("open", () => resolve({ send, close: () => ws.close() })));
}

function topSelfTime(profile, count = 30) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const label = `${functionName || "(anonymous)"} ${url.split("/").pop()}:${lineNumber}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(label, (self.get(label) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([label, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${label}`);
}

/** Time spent in each function and what it called (each function counted once per sample). */
function topInclusiveTime(profile, count = 40) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = nodes.get(at).callFrame;
      if (!url) continue;
      const label = `${functionName || "(anonymous)"} ${url.split("/").pop()}:${lineNumber}`;
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + dt);
    }
  });
  return [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([label, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${label}`);
}

const ref = BASELINE ? checkoutAt(BASELINE) : null;
const config = ref ? ref.config : writeRaisedLimitsConfig();
const bundle = ref ? dryRunBundle(ref.config, ref.dir) : dryRunBundle(config);
try {
  const profiled =
    scenario.target === "floor"
      ? await startFloor({ port: PORT, extra: { inspectorPort: INSPECTOR_PORT } })
      : await startLatchkey({ config, bundle, port: PORT, extra: { inspectorPort: INSPECTOR_PORT } });
  let fixtures;
  const load = await scenario.prepare({
    maxRequests: 8000 * SECONDS,
    fixtures: () => {
      fixtures ??= makeFixtures(profiled.url, `http://127.0.0.1:${PORT}`);
      return fixtures;
    },
  });
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const worker =
    targets.find((t) => t.title?.includes(scenario.target === "floor" ? "floor" : "latchkey")) ?? targets[0];
  const cdp = await inspector(worker.webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  const { result } = await runOnce({ url: profiled.url, load, connections: 16, seconds: SECONDS, pid: null });
  const { profile } = await cdp.send("Profiler.stop");
  cdp.close();
  const dir = path.join(ROOT, ".bench");
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${name}${BASELINE ? `@${BASELINE}` : ""}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`,
  );
  writeFileSync(file, JSON.stringify(profile));
  console.log(
    `${scenario.label}: ${Math.round(result.requests.average)} req/s while profiling (non-2xx: ${result.non2xx})`,
  );
  console.log(`Profile written to ${path.relative(ROOT, file)}. Top self time:`);
  console.log(topSelfTime(profile).join("\n"));
  console.log("Top inclusive time (the function and what it called; bundle functions only):");
  console.log(topInclusiveTime(profile).join("\n"));
} finally {
  await stopAll();
  rmSync(bundle.outdir, { recursive: true, force: true });
  if (ref) ref.remove();
  else rmSync(config, { force: true });
}
