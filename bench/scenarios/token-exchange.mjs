// The RFC 8693 token exchange with a federated identity: a local OIDC issuer on 127.0.0.1 (bench/oidc-issuer.mjs;
// allowed because the bench's Latchkey runs with a loopback ISSUER), credentials with a generic rule trusting it,
// and a pool of subject tokens minted in prepare(), each with a fresh jti (accepted once per rule), iat now and
// aud = the rule's audience (Latchkey's issuer). The jti guard is one Durable Object per rule, so the load is
// spread over BENCH_EXCHANGE_RULES (4) credentials, one rule each, handed out in turn. One exchange per
// credential before the runs checks the answer and warms the isolate's cache of the issuer's keys and rules.
// A spent pool repeats its last token, which Latchkey refuses as a replay: the run then shows non-2xx answers.
import { startBenchIssuer } from "../oidc-issuer.mjs";

const RULES = Number(process.env.BENCH_EXCHANGE_RULES ?? 4);
const SUBJECT = "w";

const form = (clientId, token) =>
  `grant_type=${encodeURIComponent("urn:ietf:params:oauth:grant-type:token-exchange")}&client_id=${clientId}` +
  `&subject_token=${token}&subject_token_type=${encodeURIComponent("urn:ietf:params:oauth:token-type:jwt")}`;

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "token-exchange",
  label: "token exchange (federated)",
  target: "latchkey",
  async prepare(bench) {
    const { issuer, admin, grants } = await bench.fixtures();
    const oidc = await startBenchIssuer();
    try {
      const clients = [];
      for (let i = 0; i < RULES; i++) {
        const cred = await admin("/credentials", { label: `bench-federated-${i}`, grants });
        const rule = await admin(`/credentials/${cred.client_id}/federated-identities`, {
          preset: "generic",
          issuer: oidc.issuer,
          subject: SUBJECT,
        });
        if (rule.audience !== issuer) throw new Error(`rule audience ${rule.audience}, expected ${issuer}`);
        clients.push(cred.client_id);
      }
      const now = Math.floor(Date.now() / 1000);
      const times = { iat: now, exp: now + 3000 };
      const mint = (i) => oidc.sign({ sub: SUBJECT, aud: issuer, jti: `bench-${now}-${i}` }, times);
      for (const [i, clientId] of clients.entries()) {
        const res = await fetch(`${issuer}/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form(clientId, await mint(`warm-${i}`)),
        });
        const body = await res.json();
        if (res.status !== 200 || typeof body.access_token !== "string")
          throw new Error(`token exchange warm-up: ${res.status} ${JSON.stringify(body)}`);
      }
      const bodies = [];
      for (let i = 0; i < bench.maxRequests; i++) bodies.push(form(clients[i % clients.length], await mint(i)));
      let next = 0;
      return {
        method: "POST",
        path: "/oauth/token",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        next: () => bodies[Math.min(next++, bodies.length - 1)],
        close: () => oidc.stop(),
      };
    } catch (err) {
      await oidc.stop();
      throw err;
    }
  },
};
