/**
 * Support for the console's browser tests: a private `wrangler dev` (own port, own state dir, own random
 * secrets in a temp env file, so the first-owner link is ours alone), Debian's Chromium driven by
 * playwright-core, and small waits (playwright-core has no auto-retrying expect).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
// @ts-expect-error: plain ESM helpers shared with npm start and the other end-to-end tests
import { applyLocalMigrations, startDevServer } from "../../../scripts/lib.mjs";

export const CHROMIUM = "/usr/bin/chromium";
export const ROOT = path.resolve(import.meta.dirname, "../../..");
const SCREENSHOT_DIR = path.join(ROOT, "docs", "screenshots");

/**
 * Whether Debian's Chromium is here to run the browser tests. Without it a file skips them with a loud
 * message, except in CI (`CI=true`), where a missing browser is an error.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === "true")
    throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium for the console tests.`);
  console.warn(
    `\n${"!".repeat(78)}\n!! SKIPPING the console browser tests: ${CHROMIUM} is not installed.\n!! Install it with: apt-get update && apt-get install -y chromium\n${"!".repeat(78)}\n`,
  );
  return false;
}

/** A free TCP port on 127.0.0.1 (or LATCHKEY_CONSOLE_PORT when set). */
export async function freePort(): Promise<number> {
  if (process.env.LATCHKEY_CONSOLE_PORT) return Number(process.env.LATCHKEY_CONSOLE_PORT);
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface ConsoleServer {
  url: string;
  bootstrapToken: string;
  stop(): void;
}

/**
 * Starts wrangler dev with fresh state and fresh secrets; `vars` adds Worker vars (e.g. SIGNUP_ENABLED).
 * stop() ends its process group and deletes the state.
 */
export async function startConsoleServer(vars: Record<string, string> = {}): Promise<ConsoleServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "latchkey-console-"));
  const persistTo = path.join(dir, "state");
  const envFile = path.join(dir, "worker.env");
  const bootstrapToken = randomBytes(32).toString("base64url");
  const key = () => randomBytes(32).toString("base64url");
  writeFileSync(envFile, `SECRET_PEPPER=${key()}\nKEY_ENCRYPTION_KEY=${key()}\nBOOTSTRAP_TOKEN=${bootstrapToken}\n`, {
    mode: 0o600,
  });
  applyLocalMigrations(persistTo, { quiet: true });
  const port = await freePort();
  const server = await startDevServer({
    port,
    persistTo,
    envFile,
    quiet: true,
    vars: { ...vars, ISSUER: `http://127.0.0.1:${port}` },
  });
  return {
    url: server.url as string,
    bootstrapToken,
    stop() {
      server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches Debian's Chromium headless. playwright-core gives each launch a fresh temporary profile (user-data-dir). */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Saves a screenshot: into docs/screenshots when UPDATE_SCREENSHOTS=1, else into a temp dir. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  const dir =
    process.env.UPDATE_SCREENSHOTS === "1" ? SCREENSHOT_DIR : path.join(tmpdir(), "latchkey-console-screenshots");
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  // Passing toasts would cover the page in the docs; the page itself is captured as it is.
  await page.evaluate(() => {
    document.getElementById("toasts")?.replaceChildren();
    window.scrollTo(0, 0);
    return document.fonts.ready;
  });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage, animations: "disabled", caret: "hide" });
}

/** Runs the real `latchkey` CLI (dist/cli.mjs) with its own HOME and config dir. */
export function runCli(args: string[], configDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "dist", "cli.mjs"), ...args],
      {
        env: { ...process.env, HOME: configDir, LATCHKEY_CONFIG_DIR: path.join(configDir, "latchkey"), NO_COLOR: "1" },
        timeout: 45_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Mints a token with client_secret_basic; returns the HTTP status. */
export async function mintStatus(url: string, clientId: string, secret: string): Promise<number> {
  const res = await fetch(`${url}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  await res.body?.cancel();
  return res.status;
}
