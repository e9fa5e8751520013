// The client_secret_basic mint: the same Basic header on every request, as a busy automation sends it.

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "secret",
  label: "mint client_secret_basic",
  target: "latchkey",
  async prepare(bench) {
    const { secretAuth } = await bench.fixtures();
    return {
      method: "POST",
      path: "/oauth/token",
      headers: { authorization: secretAuth, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    };
  },
};
