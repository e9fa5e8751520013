// The floor: bench/floor-worker.js, a minimal RFC 9068 ES256 mint with its key in memory and no storage.

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "floor",
  label: "minimal ES256 mint (floor)",
  target: "floor",
  prepare: async () => ({
    method: "POST",
    path: "/oauth/token",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  }),
};
