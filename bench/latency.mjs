// The latency tail at fewer connections than the headline run, and pinning, to tell queueing on a shared machine
// from the Worker's own stalls. One extra round per (scenario, connection count) after the headline rounds:
// req/s, p50, p90, p99 and max, so the p99 at 32 connections can be set beside the p99 at 8 (or 1) for the
// same bundle in the same process. BENCH_PIN=1 puts every workerd on core 1 and this process on core 0
// (taskset), so the load tool and the runtime no longer take turns on the same core.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { runOnce } from "./load.mjs";

/** Pins `pid` and all its threads to `core` with taskset; false where that is not possible. */
export function pin(pid, core) {
  if (!pid || cpus().length < 2) return false;
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(core), String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs one round of `seconds` per row and connection count in `counts`; returns the table rows to print.
 * `rows` are the bench's rows ({ label, instance, load }).
 */
export async function latencyTable(rows, counts, seconds) {
  const table = [];
  for (const connections of counts) {
    for (const row of rows) {
      await row.load.refresh?.();
      const { result } = await runOnce({ url: row.instance.url, load: row.load, connections, seconds, pid: null });
      table.push({
        scenario: row.label,
        connections,
        "req/s": Math.round(result.requests.total / result.duration),
        "p50 ms": result.latency.p50,
        "p90 ms": result.latency.p90,
        "p99 ms": result.latency.p99,
        "max ms": result.latency.max,
      });
    }
  }
  return table;
}
