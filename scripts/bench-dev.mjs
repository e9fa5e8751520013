#!/usr/bin/env node
// `npm run bench:dev`: the former bench, kept for comparison: throughput and latency of the token endpoint against a trivial endpoint, on the real
// local server (wrangler dev + workerd, local D1/KV/DOs), with autocannon on loopback at 32 connections.
// The endpoints are measured in interleaved rounds (healthz, secret mint, key mint; BENCH_ROUNDS times, each
// run BENCH_SECONDS long), so a slow drift of the dev server during the run weighs on all three alike.
// Bounded: BENCH_ROUNDS x 3 runs of BENCH_SECONDS (default 3 x 3 x 5 s); the script stops everything it started.
// The server runs from a generated copy of wrangler.toml whose rate limits are raised, so the load
// (one client, one IP) measures minting rather than 429s; everything else is the real configuration.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import autocannon from "autocannon";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import {
  applyLocalMigrations,
  bootstrapCredential,
  ensureDevVars,
  startDevServer,
  writeRaisedLimitsConfig,
} from "./lib.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const PORT = Number(process.env.BENCH_PORT ?? 8788);
const RESOURCE = "https://bench.example/api";

function run(opts) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/** Resident memory of the workerd processes in the bench server's process group, in MiB. */
function workerdRssMiB(groupId) {
  try {
    const out = execFileSync("ps", ["-eo", "pgid=,rss=,comm="], { encoding: "utf8" });
    const kb = out
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([pgid, , comm]) => Number(pgid) === groupId && comm === "workerd")
      .reduce((sum, [, rss]) => sum + Number(rss), 0);
    return Math.round(kb / 1024);
  } catch {
    return null;
  }
}

async function json(res) {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function prepare(url, vars) {
  const admin = await bootstrapCredential({ url, bootstrapToken: vars.BOOTSTRAP_TOKEN, recreate: true });
  const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
  const mint = await json(
    await fetch(`${url}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: basic(admin.client_id, admin.client_secret),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    }),
  );
  const api = (method, p, body) =>
    fetch(`${url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${mint.access_token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await api("POST", "/resources", { uri: RESOURCE, name: "Bench API", scopes: [{ name: "bench:read" }] });
  const label = `bench-${Date.now()}`;
  const secretCred = await json(
    await api("POST", "/credentials", { label, grants: [{ resource: RESOURCE, scopes: ["bench:read"] }] }),
  );

  const keyCred = await json(
    await api("POST", "/credentials", {
      label: `${label}-key`,
      grants: [{ resource: RESOURCE, scopes: ["bench:read"] }],
      delivery: "setup_code",
    }),
  );
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const redeemed = await json(
    await fetch(`${url}/setup/redeem`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        code: keyCred.setup_code.code,
        mode: "key",
        public_jwk: await exportJWK(publicKey),
        hostname: "bench",
      }),
    }),
  );
  return {
    secretAuth: basic(secretCred.client_id, secretCred.client_secret),
    keyClient: redeemed.client_id,
    kid: redeemed.key_id,
    privateKey,
  };
}

async function assertions(url, clientId, kid, privateKey, count) {
  const now = Math.floor(Date.now() / 1000);
  const out = [];
  for (let i = 0; i < count; i++) {
    const jwt = await new SignJWT({ jti: `bench-${i}-${now}` })
      .setProtectedHeader({ alg: "ES256", kid, typ: "client-authentication+jwt" })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(url)
      .setIssuedAt(now)
      .setExpirationTime(now + 240)
      .sign(privateKey);
    out.push(
      `grant_type=client_credentials&client_assertion_type=${encodeURIComponent("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")}&client_assertion=${jwt}`,
    );
  }
  return out;
}

/** Throughput over all rounds; latency percentiles as the median of the rounds' percentiles. */
function combine(results) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const seconds = results.reduce((n, r) => n + r.duration, 0);
  return {
    reqPerSec: total / seconds,
    p50: median(results.map((r) => r.latency.p50)),
    p99: median(results.map((r) => r.latency.p99)),
    total,
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
  };
}

function row(name, r) {
  return {
    name,
    "req/s": Math.round(r.reqPerSec),
    "p50 ms": r.p50,
    "p99 ms": r.p99,
    requests: r.total,
    "non-2xx": r.non2xx,
    errors: r.errors,
  };
}

const vars = ensureDevVars();
const persistTo = mkdtempSync(path.join(tmpdir(), "latchkey-bench-"));
const config = writeRaisedLimitsConfig();
applyLocalMigrations(persistTo, { quiet: true, config });
const server = await startDevServer({
  port: PORT,
  persistTo,
  config,
  quiet: true,
  vars: { ISSUER: `http://127.0.0.1:${PORT}` },
});
try {
  const ctx = await prepare(server.url, vars);
  console.log(
    `Latchkey bench: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per endpoint, loopback ${server.url}, load tool on the same cores.`,
  );
  console.log(
    `Load average before the runs: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} on ${cpus().length} cores (other work on the machine skews the figures).`,
  );
  const rssBefore = workerdRssMiB(server.child.pid);
  const bodies = await assertions(server.url, ctx.keyClient, ctx.kid, ctx.privateKey, 3_000 * SECONDS * ROUNDS);
  let next = 0;
  const loads = {
    health: { url: `${server.url}/healthz` },
    secret: {
      url: `${server.url}/oauth/token`,
      method: "POST",
      headers: { authorization: ctx.secretAuth, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    },
    key: {
      url: `${server.url}/oauth/token`,
      requests: [
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
        },
      ],
    },
  };
  const runs = { health: [], secret: [], key: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(loads)) runs[name].push(await run(loads[name]));
  }
  const health = combine(runs.health);
  const secretMint = combine(runs.secret);
  const keyMint = combine(runs.key);
  const rss = workerdRssMiB(server.child.pid);
  const rows = [
    row("GET /healthz", health),
    row("mint client_secret_basic", secretMint),
    row("mint private_key_jwt", keyMint),
  ];
  console.table(rows);
  const ratio = (r) => (r.reqPerSec / health.reqPerSec) * 100;
  console.log(`mint (secret) / healthz throughput: ${ratio(secretMint).toFixed(1)}% (target >= 40%)`);
  console.log(`mint (private_key_jwt) / healthz throughput: ${ratio(keyMint).toFixed(1)}%`);
  if (rss !== null)
    console.log(
      `workerd resident memory (all workerd processes of the dev server): ${rssBefore} MiB before the runs, ${rss} MiB after`,
    );
  const failed = [secretMint, keyMint].some((r) => r.non2xx > 0 || r.errors > 0) || bodies.length <= next;
  if (failed) {
    console.log("FAILED: some mints did not answer 200 (see non-2xx / errors above).");
    process.exitCode = 1;
  }
} finally {
  server.stop();
  rmSync(persistTo, { recursive: true, force: true });
  rmSync(config, { force: true });
}
