// The bench's floor: the least a client_credentials mint can cost in this runtime. It reads the form, signs an
// RFC 9068-shaped ES256 token (the claims Latchkey's tokens carry) with jose's SignJWT and a key held in
// memory, and answers like a token endpoint (JSON, no-store). No storage, no client authentication, no log:
// what is left is the signature, the JSON and the HTTP round trip, which is what Latchkey's mint is held to.
// With a client_assertion in the form it first verifies it as private_key_jwt does (jose's jwtVerify, ES256,
// iss/sub/aud/exp, the public key from the CLIENT_PUBLIC_JWK binding imported once): "floor + ES256 verify",
// the least any design that checks the assertion's signature can cost (no client lookup, no jti check).
import { importJWK, jwtVerify, SignJWT } from "jose";

let key;
let clientKey;

function clientPublicKey(env) {
  clientKey ??= importJWK(JSON.parse(env.CLIENT_PUBLIC_JWK), "ES256");
  return clientKey;
}

function signingKey() {
  key ??= crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return key;
}

function jti() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) => ({ "+": "-", "/": "_", "=": "" })[c]);
}

export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("not found", { status: 404 });
    const params = new URLSearchParams(await request.text());
    if (params.get("grant_type") !== "client_credentials") return new Response("bad grant", { status: 400 });
    const assertion = params.get("client_assertion");
    if (assertion !== null) {
      try {
        await jwtVerify(assertion, await clientPublicKey(env), {
          algorithms: ["ES256"],
          issuer: "lkc_floorfloorfloorfloorfl",
          subject: "lkc_floorfloorfloorfloorfl",
          audience: "http://127.0.0.1",
          requiredClaims: ["exp", "jti"],
        });
      } catch {
        return new Response("bad assertion", { status: 401 });
      }
    }
    const { privateKey } = await signingKey();
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: "http://127.0.0.1",
      sub: "lkc_floorfloorfloorfloorfl",
      aud: "https://bench.example/api",
      client_id: "lkc_floorfloorfloorfloorfl",
      scope: "bench:read",
      iat,
      exp: iat + 3600,
      jti: jti(),
      svc: "svc:bench",
      tenant: "tnt_floor",
      groups: [],
    };
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "floor", typ: "at+jwt" })
      .sign(privateKey);
    const body = { access_token: accessToken, token_type: "Bearer", expires_in: 3600, scope: claims.scope };
    return new Response(JSON.stringify(body), {
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache" },
    });
  },
};
