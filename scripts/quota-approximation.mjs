#!/usr/bin/env node
// `npm run quota:measure`: how approximate mint quotas are, measured on the real code with real local D1.
// Runs the measuring test of test/integration/guardrails.test.ts in workerd (one isolate minting through the
// real token endpoint, a second isolate's mints written to D1 as its background flush would, every 20 s) and
// prints its one line: how many mints both isolates made before the first refusal, against the quota.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./lib.mjs";

const vitest = path.join(ROOT, "node_modules", ".bin", "vitest");
const run = spawnSync(
  vitest,
  ["run", "--project", "workers", "test/integration/guardrails.test.ts", "-t", "the approximation, measured"],
  { cwd: ROOT, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } },
);
const marker = "quota approximation:";
const found = `${run.stdout}\n${run.stderr}`.split("\n").find((l) => l.includes(marker));
const line = found?.slice(found.indexOf(marker));
if (run.status !== 0 || !line) {
  process.stderr.write(run.stdout + run.stderr);
  process.exit(run.status || 1);
}
console.log(line);
