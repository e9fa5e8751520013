/**
 * Helpers to drive the `latchkey` CLI from tests, for this folder and for the e2e suite:
 * `runCli` (in-process, captured output), `buildCli` (esbuild bundle like `npm run build:cli`) and
 * `spawnCli` (a real child process, for exit codes and cross-process locking), `tempConfigDir`.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export { runCli, type CliResult } from "../../src/cli/main.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const created: string[] = [];

/** A fresh private config directory (use as LATCHKEY_CONFIG_DIR); removed by {@link removeTempDirs}. */
export async function tempConfigDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "latchkey-test-"));
  created.push(dir);
  return dir;
}

/** Removes every directory made by tempConfigDir and buildCli (call from afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Bundles src/cli/bin.ts to `<dir>/cli.mjs` exactly as build:cli does; returns the file path. */
export async function buildCli(dir?: string): Promise<string> {
  const outfile = join(dir ?? (await tempConfigDir()), "cli.mjs");
  await build({
    entryPoints: [join(ROOT, "src/cli/bin.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
    define: { __LATCHKEY_VERSION__: '"test"' },
  });
  return outfile;
}

/** Runs the bundled CLI in a child process with exactly `env` (plus PATH). */
export function spawnCli(
  cliPath: string,
  args: string[],
  options: { env?: Record<string, string | undefined> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH, ...options.env } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A URL on 127.0.0.1 where nothing listens (a port just released), for "connection refused" cases. */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
