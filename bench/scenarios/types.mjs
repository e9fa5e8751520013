// The shape of a bench scenario. One module per scenario, listed in index.mjs; a scenario that needs a fresh
// value per request (an assertion, a subject token, a DPoP proof) makes them all in prepare() and hands them
// out from next(), so the load tool spends nothing on them during the runs.

/**
 * @typedef {object} Load
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} [headers]
 * @property {string} [body] the same body on every request
 * @property {() => string} [next] a fresh body per request
 * @property {() => Record<string, string>} [nextHeaders] fresh headers per request, added to `headers`
 * @property {() => Promise<void>} [refresh] called before each run, outside its timing: remakes per-request
 *   values that expire within a bench run (DPoP proofs are accepted for 60 s)
 * @property {() => Promise<void>} [close] called once at the end of the bench (stops what prepare() started)
 */

/**
 * @typedef {object} Bench
 * @property {number} maxRequests the most requests one scenario can be sent in the whole run
 * @property {number} maxRequestsPerRun the most requests one scenario can be sent in one run (a round or the warm-up)
 * @property {() => Promise<object>} fixtures the shared credentials (bench/fixtures.mjs), made once
 */

/**
 * @typedef {object} Scenario
 * @property {string} name short name, used in ratios and BENCH_SCENARIOS
 * @property {string} label what the table prints
 * @property {"latchkey" | "floor"} target which Worker it loads
 * @property {(bench: Bench) => Promise<Load>} prepare
 */

export {};
