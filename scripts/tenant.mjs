#!/usr/bin/env node
// `npm run tenant -- create <name> [--id <slug>]`: creates a tenant (its own issuer, docs/realms.md) in a running
// Latchkey through POST /api/v1/tenants and prints its issuer and one-time first-owner link; the last line of
// stdout is the JSON answer. Exits 3 when the id is taken, 2 on bad usage.
// Local: reads BOOTSTRAP_TOKEN from .dev.vars and targets http://127.0.0.1:8787.
// Deployed: LATCHKEY_URL=https://... BOOTSTRAP_TOKEN=... npm run tenant -- create "Acme Corp"
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readDevVars } from "./lib.mjs";

const USAGE = `Usage: npm run tenant -- create <name> [--id <slug>]
  <name>      the tenant's display name; without --id its slug (a-z, 0-9, hyphens) becomes the id
  --id        the tenant id: 3-32 of a-z, 0-9 and inner hyphens; its issuer is <LATCHKEY_URL>/t/<id>
  env: LATCHKEY_URL (default http://127.0.0.1:8787), BOOTSTRAP_TOKEN (default from .dev.vars)`;

/** POST /api/v1/tenants. Returns the answer body; throws (with `status` and `code`) on any other answer. */
export async function createTenant({ url, bootstrapToken, name, id }) {
  const res = await fetch(`${url.replace(/\/$/, "")}/api/v1/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${bootstrapToken}`, "content-type": "application/json" },
    body: JSON.stringify(id ? { name, id } : { name }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 201) {
    const fields = (body.errors ?? []).map((e) => `${e.path}: ${e.message}`).join("; ");
    const err = new Error(`${res.status} ${body.code ?? ""} ${body.detail ?? ""} ${fields}`.trim());
    err.status = res.status;
    err.code = body.code;
    throw err;
  }
  return body;
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { id: { type: "string" }, help: { type: "boolean" } },
    });
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command !== "create" || rest.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const url = (process.env.LATCHKEY_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
  const bootstrapToken = process.env.BOOTSTRAP_TOKEN ?? readDevVars().BOOTSTRAP_TOKEN;
  if (!bootstrapToken) {
    console.error("No BOOTSTRAP_TOKEN: run `npm start` once (it creates .dev.vars) or set BOOTSTRAP_TOKEN.");
    return 2;
  }
  try {
    const created = await createTenant({ url, bootstrapToken, name: rest.join(" "), id: parsed.values.id });
    console.error(`Tenant "${created.tenant.name}" (${created.tenant.id}) created. Its issuer: ${created.issuer}`);
    console.error(`Open this one-time link before ${created.owner_link.expires_at} to create its first owner:`);
    console.error(`  ${created.owner_link.url}`);
    console.log(JSON.stringify(created));
    return 0;
  } catch (err) {
    if (err.cause?.code === "ECONNREFUSED") console.error(`Nothing answers at ${url}: is \`npm start\` running?`);
    else console.error(`Tenant creation failed: ${err.message}`);
    return err.code === "tenant_exists" ? 3 : err.status === 400 ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main(process.argv.slice(2));
