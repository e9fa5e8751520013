// The client_secret_basic mint with a DPoP proof (RFC 9449): the secret scenario's request plus a `DPoP` header,
// a fresh proof per request (ES256, fresh jti, htm POST, htu the token endpoint, iat now). A proof is accepted for
// 60 s after its iat (DPOP_PROOF_MAX_AGE_SECONDS), less than a bench run lasts, so the pool is signed again before
// each run (refresh(), outside the timed window) rather than once in prepare(). The jti guard is one Durable
// Object per proof key, so the proofs rotate over BENCH_DPOP_KEYS (4) keys. One mint before the runs checks the
// answer: 200 and token_type DPoP. A spent pool repeats its last proof: a replay, shown as non-2xx answers.
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const KEYS = Number(process.env.BENCH_DPOP_KEYS ?? 4);

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "dpop-mint",
  label: "mint client_secret_basic + DPoP",
  target: "latchkey",
  async prepare(bench) {
    const { issuer, secretAuth } = await bench.fixtures();
    const htu = `${issuer}/oauth/token`;
    const keys = [];
    for (let i = 0; i < KEYS; i++) {
      const { publicKey, privateKey } = await generateKeyPair("ES256");
      keys.push({ privateKey, header: { typ: "dpop+jwt", alg: "ES256", jwk: await exportJWK(publicKey) } });
    }
    let serial = 0;
    const sign = (iat) => {
      const key = keys[serial % keys.length];
      return new SignJWT({ jti: `bench-${iat}-${serial++}`, htm: "POST", htu, iat })
        .setProtectedHeader(key.header)
        .sign(key.privateKey);
    };
    const headers = { authorization: secretAuth, "content-type": "application/x-www-form-urlencoded" };
    const body = "grant_type=client_credentials";
    const check = await fetch(htu, {
      method: "POST",
      headers: { ...headers, dpop: await sign(Math.floor(Date.now() / 1000)) },
      body,
    });
    const answer = await check.json();
    if (check.status !== 200 || answer.token_type !== "DPoP")
      throw new Error(`DPoP mint: ${check.status} ${JSON.stringify(answer)}`);
    let proofs = [];
    let next = 0;
    return {
      method: "POST",
      path: "/oauth/token",
      headers,
      body,
      async refresh() {
        const iat = Math.floor(Date.now() / 1000);
        proofs = [];
        next = 0;
        for (let i = 0; i < bench.maxRequestsPerRun; i++) proofs.push({ dpop: await sign(iat) });
      },
      nextHeaders: () => proofs[Math.min(next++, proofs.length - 1)],
    };
  },
};
