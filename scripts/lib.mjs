// Shared helpers for the project's Node scripts (start, bootstrap, bench, end-to-end tests):
// local secrets in .dev.vars, applying migrations, and running `wrangler dev` as a process group.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");

const randomKey = () => randomBytes(32).toString("base64url");

/** The local Worker secrets: made once, never committed (.dev.vars is git-ignored), mode 0600. */
export function ensureDevVars(file = path.join(ROOT, ".dev.vars")) {
  if (!existsSync(file)) {
    const lines = [
      "# Local Worker secrets for `npm start`, generated on first run. Never commit this file.",
      `SECRET_PEPPER=${randomKey()}`,
      `KEY_ENCRYPTION_KEY=${randomKey()}`,
      `BOOTSTRAP_TOKEN=${randomBytes(32).toString("base64url")}`,
      "",
    ];
    writeFileSync(file, lines.join("\n"), { mode: 0o600 });
    console.log(`Created ${path.relative(ROOT, file)} with fresh local secrets.`);
  }
  return readDevVars(file);
}

/** Parses KEY=value lines of a .dev.vars file. */
export function readDevVars(file = path.join(ROOT, ".dev.vars")) {
  const vars = {};
  if (!existsSync(file)) return vars;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/** Applies D1 migrations to the local database under `persistTo`. */
export function applyLocalMigrations(persistTo, { quiet = false, config } = {}) {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  if (config) args.push("--config", config);
  const result = spawnSync(WRANGLER, args, {
    cwd: ROOT,
    stdio: quiet ? "pipe" : "inherit",
    env: { ...process.env, CI: "true" },
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(String(result.stderr ?? "") + String(result.stdout ?? ""));
    throw new Error("wrangler d1 migrations apply failed");
  }
}

/**
 * Starts `wrangler dev` in its own process group on 127.0.0.1:port and resolves once /healthz answers.
 * Returns { url, stop() }; stop() ends the whole group (workerd included).
 */
export async function startDevServer({
  port = 8787,
  persistTo,
  envFile,
  vars = {},
  config,
  quiet = false,
  timeoutMs = 90_000,
} = {}) {
  if (await answers(`http://127.0.0.1:${port}/healthz`)) {
    throw new Error(
      `Something already answers on 127.0.0.1:${port}: stop it first (or start on another port: PORT=8788 npm start).`,
    );
  }
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    "--log-level",
    process.env.WRANGLER_DEV_LOG_LEVEL ?? (quiet ? "warn" : "info"),
  ];
  if (persistTo) args.push("--persist-to", persistTo);
  if (envFile) args.push("--env-file", envFile);
  if (config) args.push("--config", config);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  // Quiet servers write to a log file, not a pipe, so this process never spends time reading their output.
  const logFile = quiet ? path.join(mkdtempSync(path.join(tmpdir(), "latchkey-dev-")), "wrangler-dev.log") : null;
  const logFd = logFile ? openSync(logFile, "w") : null;
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true,
    stdio: logFd !== null ? ["ignore", logFd, logFd] : ["ignore", "inherit", "inherit"],
  });
  if (logFd !== null) closeSync(logFd);
  const output = () => (logFile ? readFileSync(logFile, "utf8").slice(-20_000) : "(see above)");
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    if (logFile) rmSync(path.dirname(logFile), { recursive: true, force: true });
  };
  // Never leave a server behind: stop the group when this process exits or is told to stop.
  process.once("exit", stop);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      stop();
      process.exit(130);
    });
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return { url, stop, child, logFile };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stop();
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

async function answers(url) {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `.wrangler-bench.toml` (git-ignored): wrangler.toml with its rate limits raised, for load from one
 * client and one IP (bench, profile) that should measure minting rather than 429s. Returns its path.
 */
export function writeRaisedLimitsConfig() {
  const source = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const raised = source.replace(
    /simple = \{ limit = \d+, period = (\d+) \}/g,
    "simple = { limit = 100000000, period = $1 }",
  );
  const file = path.join(ROOT, ".wrangler-bench.toml");
  writeFileSync(
    file,
    `# Generated from wrangler.toml with raised rate limits (scripts/lib.mjs). Do not edit.\n${raised}`,
  );
  return file;
}

/** Calls POST /api/v1/bootstrap and returns the management credential. */
export async function bootstrapCredential({ url, bootstrapToken, recreate = false }) {
  const res = await fetch(`${url}/api/v1/bootstrap`, {
    method: "POST",
    headers: { authorization: `Bearer ${bootstrapToken}`, "content-type": "application/json" },
    body: JSON.stringify({ recreate }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 201) {
    const err = new Error(body.detail ?? `bootstrap failed with HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}
