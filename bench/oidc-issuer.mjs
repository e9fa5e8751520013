// A minimal OIDC issuer for the token-exchange scenario: a node HTTP server on 127.0.0.1 (an ephemeral port)
// serving its discovery document and JWKS with one ES256 key, and signing subject tokens in this process (no
// HTTP round trip per token), so prepare() can mint a pool quickly. Plain http is trusted by Latchkey only for a
// loopback issuer while Latchkey's own ISSUER is loopback, as in the bench (bench/runtime.mjs). The test suite's
// richer issuer (test/oidc-issuer/server.ts) is TypeScript with misbehaviours the bench does not need.
import { createServer } from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** Starts the issuer; returns { issuer, stats, sign(claims, { iat, exp }), stop() }. */
export async function startBenchIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = "bench-es256";
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] };
  const stats = { discovery: 0, jwks: 0 };
  let issuer = "";
  const server = createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/.well-known/openid-configuration") {
      stats.discovery += 1;
      return send(200, { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ["ES256"] });
    }
    if (req.url === "/jwks") {
      stats.jwks += 1;
      return send(200, jwks);
    }
    send(404, { error: "not found" });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
  const header = { alg: "ES256", kid, typ: "JWT" };
  return {
    issuer,
    stats,
    sign: (claims, { iat, exp }) =>
      new SignJWT(claims)
        .setProtectedHeader(header)
        .setIssuer(issuer)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(privateKey),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
