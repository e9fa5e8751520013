// The trivial route: GET /healthz through the same Worker, router and assets front as every other endpoint.

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "healthz",
  label: "GET /healthz (trivial)",
  target: "latchkey",
  prepare: async () => ({ method: "GET", path: "/healthz" }),
};
