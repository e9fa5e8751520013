#!/usr/bin/env node
// `npm run owner-link`: asks a running Latchkey for the one-time link (valid 1 hour) that creates the first
// owner of the console, and prints it. Exits 3 when an owner already exists.
// Local: reads BOOTSTRAP_TOKEN from .dev.vars and targets http://127.0.0.1:8787.
// Deployed: LATCHKEY_URL=https://... BOOTSTRAP_TOKEN=... npm run owner-link
import { pathToFileURL } from "node:url";
import { readDevVars } from "./lib.mjs";

/**
 * POST /api/v1/bootstrap/owner-link. Returns {url, expires_at}, or null when the instance already has an owner.
 * Throws (with `status`) on any other answer.
 */
export async function requestOwnerLink({ url, bootstrapToken }) {
  const res = await fetch(`${url.replace(/\/$/, "")}/api/v1/bootstrap/owner-link`, {
    method: "POST",
    headers: { authorization: `Bearer ${bootstrapToken}` },
  });
  if (res.status === 409) return null;
  const body = await res.json().catch(() => ({}));
  if (res.status !== 201) {
    const err = new Error(`${res.status} ${body.code ?? ""} ${body.detail ?? ""}`.trim());
    err.status = res.status;
    throw err;
  }
  return { url: body.url, expires_at: body.expires_at };
}

async function main() {
  if (process.argv.includes("--help")) {
    console.log(
      "Usage: npm run owner-link\n  env: LATCHKEY_URL (default http://127.0.0.1:8787), BOOTSTRAP_TOKEN (default from .dev.vars)",
    );
    return 0;
  }
  const url = (process.env.LATCHKEY_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
  const bootstrapToken = process.env.BOOTSTRAP_TOKEN ?? readDevVars().BOOTSTRAP_TOKEN;
  if (!bootstrapToken) {
    console.error("No BOOTSTRAP_TOKEN: run `npm start` once (it creates .dev.vars) or set BOOTSTRAP_TOKEN.");
    return 2;
  }
  try {
    const link = await requestOwnerLink({ url, bootstrapToken });
    if (!link) {
      console.error("This instance already has an owner: sign in, or ask an owner for an invitation.");
      return 3;
    }
    console.error(`Open this one-time link before ${link.expires_at} to create the first owner:`);
    console.log(link.url);
    return 0;
  } catch (err) {
    if (err.cause?.code === "ECONNREFUSED") console.error(`Nothing answers at ${url}: is \`npm start\` running?`);
    else console.error(`Owner link failed: ${err.message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
