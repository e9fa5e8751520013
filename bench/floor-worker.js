// The bench's floor: the least a client_credentials mint can cost in this runtime. It reads the form, signs an
// RFC 9068-shaped ES256 token (the claims Latchkey's tokens carry) with jose's SignJWT and a key held in
// memory, and answers like a token endpoint (JSON, no-store). No storage, no client authentication, no log:
// what is left is the signature, the JSON and the HTTP round trip, which is what Latchkey's mint is held to.
import { SignJWT } from "jose";

let key;

function signingKey() {
  key ??= crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return key;
}

function jti() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) => ({ "+": "-", "/": "_", "=": "" })[c]);
}

export default {
  async fetch(request) {
    if (request.method !== "POST") return new Response("not found", { status: 404 });
    const params = new URLSearchParams(await request.text());
    if (params.get("grant_type") !== "client_credentials") return new Response("bad grant", { status: 400 });
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
