#!/usr/bin/env node
// `npm run bootstrap [-- --recreate]`: creates the first management credential in the default tenant of a
// running Latchkey and prints {"issuer","client_id","client_secret"} as JSON on the last line of stdout.
// Local: reads BOOTSTRAP_TOKEN from .dev.vars and targets http://127.0.0.1:8787.
// Deployed: LATCHKEY_URL=https://... BOOTSTRAP_TOKEN=... npm run bootstrap
import { bootstrapCredential, readDevVars } from "./lib.mjs";

const recreate = process.argv.includes("--recreate");
if (process.argv.includes("--help")) {
  console.log(
    "Usage: npm run bootstrap [-- --recreate]\n  env: LATCHKEY_URL (default http://127.0.0.1:8787), BOOTSTRAP_TOKEN (default from .dev.vars)",
  );
  process.exit(0);
}
const url = (process.env.LATCHKEY_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
const bootstrapToken = process.env.BOOTSTRAP_TOKEN ?? readDevVars().BOOTSTRAP_TOKEN;
if (!bootstrapToken) {
  console.error("No BOOTSTRAP_TOKEN: run `npm start` once (it creates .dev.vars) or set BOOTSTRAP_TOKEN.");
  process.exit(2);
}
try {
  const created = await bootstrapCredential({ url, bootstrapToken, recreate });
  console.error(
    `Management credential created in the default tenant (resource ${created.resource}). The secret is shown only now.`,
  );
  console.log(
    JSON.stringify({ issuer: created.issuer, client_id: created.client_id, client_secret: created.client_secret }),
  );
} catch (err) {
  if (err.cause?.code === "ECONNREFUSED") console.error(`Nothing answers at ${url}: is \`npm start\` running?`);
  else console.error(`Bootstrap failed: ${err.message}`);
  process.exit(err.status === 409 ? 3 : 1);
}
