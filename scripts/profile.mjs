#!/usr/bin/env node
// `npm run profile [-- mint|healthz]`: a V8 CPU profile of the Worker under load, to see where the hot path spends
// its time before and after an optimisation. Starts a local server (raised rate limits, fresh state), connects
// to wrangler dev's inspector (127.0.0.1:9229), drives 16 connections for 6 s, and prints the top self-time entries.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import WebSocket from "ws";
import {
  applyLocalMigrations,
  bootstrapCredential,
  ensureDevVars,
  startDevServer,
  writeRaisedLimitsConfig,
} from "./lib.mjs";

const PORT = 8794;
const target = process.argv[2] ?? "mint";
const vars = ensureDevVars();
const persistTo = mkdtempSync(path.join(tmpdir(), "latchkey-profile-"));
const config = writeRaisedLimitsConfig();
applyLocalMigrations(persistTo, { quiet: true, config });
const server = await startDevServer({
  port: PORT,
  persistTo,
  config,
  quiet: true,
  vars: { ISSUER: `http://127.0.0.1:${PORT}` },
});

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

function topSelfTime(profile, count = 25) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}:${lineNumber}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}

try {
  const [worker] = await (await fetch("http://127.0.0.1:9229/json")).json();
  const cdp = await inspector(worker.webSocketDebuggerUrl);
  const admin = await bootstrapCredential({ url: server.url, bootstrapToken: vars.BOOTSTRAP_TOKEN, recreate: true });
  const basic = `Basic ${Buffer.from(`${admin.client_id}:${admin.client_secret}`).toString("base64")}`;
  const load =
    target === "mint"
      ? {
          url: `${server.url}/oauth/token`,
          method: "POST",
          headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials",
        }
      : { url: `${server.url}/healthz` };
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  const result = await autocannon({ ...load, connections: 16, duration: 6 });
  const { profile } = await cdp.send("Profiler.stop");
  cdp.close();
  console.log(`${target}: ${Math.round(result.requests.average)} req/s while profiling (non-2xx: ${result.non2xx})`);
  console.log(topSelfTime(profile).join("\n"));
} finally {
  server.stop();
  rmSync(persistTo, { recursive: true, force: true });
  rmSync(config, { force: true });
}
