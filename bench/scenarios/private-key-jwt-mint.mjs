// The private_key_jwt mint: a fresh client assertion per request (a jti is accepted once), all signed before
// the runs so the load tool spends nothing on them. A spent pool repeats its last assertion, which Latchkey
// refuses as a replay: the run then shows non-2xx answers and fails.
import { SignJWT } from "jose";

const ASSERTION_TYPE = encodeURIComponent("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "pkjwt",
  label: "mint private_key_jwt",
  target: "latchkey",
  async prepare(bench) {
    const { issuer, keyClient } = await bench.fixtures();
    const { clientId, kid, privateKey } = keyClient;
    const now = Math.floor(Date.now() / 1000);
    const bodies = [];
    for (let i = 0; i < bench.maxRequests; i++) {
      const jwt = await new SignJWT({ jti: `bench-${now}-${i}` })
        .setProtectedHeader({ alg: "ES256", kid, typ: "client-authentication+jwt" })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 290)
        .sign(privateKey);
      bodies.push(`grant_type=client_credentials&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${jwt}`);
    }
    let next = 0;
    return {
      method: "POST",
      path: "/oauth/token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      next: () => bodies[Math.min(next++, bodies.length - 1)],
    };
  },
};
