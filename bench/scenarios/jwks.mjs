// GET /.well-known/jwks.json: what every resource server fetches; held to the trivial route.

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "jwks",
  label: "GET /.well-known/jwks.json",
  target: "latchkey",
  prepare: async () => ({ method: "GET", path: "/.well-known/jwks.json" }),
};
