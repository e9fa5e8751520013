/**
 * Starts ONE real local Latchkey (wrangler dev + workerd with local D1, KV and Durable Objects, fresh state
 * in a temp dir) for all end-to-end test files, and hands its URL and bootstrap token to them via provide().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error: plain ESM helpers shared with npm start and the bench
import { applyLocalMigrations, ensureDevVars, startDevServer } from "../../scripts/lib.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    latchkeyUrl: string;
    bootstrapToken: string;
  }
}

export default async function setup(project: TestProject) {
  const vars = ensureDevVars() as Record<string, string>;
  const persistTo = mkdtempSync(path.join(tmpdir(), "latchkey-e2e-"));
  applyLocalMigrations(persistTo, { quiet: true });
  const port = 8800 + Math.floor(Math.random() * 150);
  const server = await startDevServer({ port, persistTo, quiet: true, vars: { ISSUER: `http://127.0.0.1:${port}` } });
  project.provide("latchkeyUrl", server.url);
  project.provide("bootstrapToken", vars.BOOTSTRAP_TOKEN!);
  return () => {
    server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  };
}
