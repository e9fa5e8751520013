#!/usr/bin/env node
// `npm start`: the whole service locally, offline. Creates local secrets if missing, applies the local D1
// migrations, then runs `wrangler dev` on http://127.0.0.1:8787 (local D1, KV and Durable Objects) until Ctrl-C.
// PORT=<n> serves on another port, with the issuer to match (then LATCHKEY_URL=http://127.0.0.1:<n> for the
// other scripts).
import { applyLocalMigrations, ensureDevVars, startDevServer } from "./lib.mjs";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a TCP port number, not ${JSON.stringify(process.env.PORT)}.`);
  process.exit(2);
}
const vars = ensureDevVars();
applyLocalMigrations();
// The issuer names the port, so tokens, metadata and links made on another port say where they came from.
const issuerVars = port === 8787 ? {} : { ISSUER: `http://127.0.0.1:${port}` };
let server;
try {
  server = await startDevServer({ port, vars: issuerVars });
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
console.log(`\nLatchkey is running at ${server.url}`);
try {
  const { requestOwnerLink } = await import("./owner-link.mjs");
  const link = await requestOwnerLink({ url: server.url, bootstrapToken: vars.BOOTSTRAP_TOKEN });
  if (link) console.log(`First owner: open this one-time link within an hour to create your account:\n  ${link.url}\n`);
} catch (err) {
  if (err.code !== "ERR_MODULE_NOT_FOUND") console.error(`Could not make the first-owner link: ${err.message}`);
}
console.log("Management credential for scripts: `npm run bootstrap` in another terminal. Stop with Ctrl-C.");

const shutdown = () => {
  server.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
server.child.on("exit", (code) => process.exit(code ?? 0));
