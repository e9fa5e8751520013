// One bench run of one scenario: autocannon on loopback at a fixed connection count for a fixed time, with the
// workerd CPU the run cost (from /proc, before and after) and the load tool's own CPU. Also the arithmetic that
// combines interleaved rounds: total throughput, the median of the rounds' percentiles, and ratio spreads.
import autocannon from "autocannon";
import { cpuMs } from "./runtime.mjs";

/** Runs `load` against `url` for `seconds`; returns autocannon's result plus cpu figures. */
export function runOnce({ url, load, connections, seconds, pid }) {
  const { method, path, headers = {}, body, next, nextHeaders } = load;
  const fresh = (req) => ({
    ...req,
    ...(next ? { body: next() } : {}),
    ...(nextHeaders ? { headers: { ...headers, ...nextHeaders() } } : {}),
  });
  const request =
    next || nextHeaders
      ? { method, headers, ...(next ? {} : { body }), setupRequest: fresh }
      : { method, headers, body };
  const cpuBefore = cpuMs(pid);
  const toolBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    autocannon({ url: url + path, connections, duration: seconds, requests: [request] }, (err, result) => {
      if (err) return reject(err);
      const cpuAfter = cpuMs(pid);
      const tool = process.cpuUsage(toolBefore);
      resolve({
        result,
        workerdCpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
        toolCpuMs: (tool.user + tool.system) / 1000,
      });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Throughput over all rounds; p50/p99 as the median of the rounds'; CPU per request over all rounds. */
export function combine(runs) {
  const total = runs.reduce((n, r) => n + r.result.requests.total, 0);
  const seconds = runs.reduce((n, r) => n + r.result.duration, 0);
  const cpu = runs.every((r) => r.workerdCpuMs !== null) ? runs.reduce((n, r) => n + r.workerdCpuMs, 0) : null;
  return {
    reqPerSec: total / seconds,
    perRound: runs.map((r) => r.result.requests.total / r.result.duration),
    p50: median(runs.map((r) => r.result.latency.p50)),
    p99: median(runs.map((r) => r.result.latency.p99)),
    total,
    workerdUsPerReq: cpu === null || total === 0 ? null : (cpu * 1000) / total,
    toolUsPerReq: total === 0 ? null : (runs.reduce((n, r) => n + r.toolCpuMs, 0) * 1000) / total,
    non2xx: runs.reduce((n, r) => n + r.result.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.result.errors + r.result.timeouts, 0),
  };
}

/** a/b over all rounds, with the lowest and highest of the per-round ratios (the spread). */
export function ratio(a, b) {
  const rounds = a.perRound.map((x, i) => x / b.perRound[i]);
  return { overall: a.reqPerSec / b.reqPerSec, min: Math.min(...rounds), max: Math.max(...rounds) };
}
