// "floor + ES256 verify": the floor Worker, first verifying a private_key_jwt-shaped client assertion (a fresh
// one per request, all signed before the runs) with a key in memory. It bounds what any design that verifies
// the assertion's signature can reach: pkjwt / (floor + verify) is set beside secret / floor. The floor keeps
// no jti, so a pool of POOL assertions is handed out in turn.
import { SignJWT } from "jose";
import { FLOOR_CLIENT_ID, FLOOR_ISSUER, floorClientKey } from "../floor-client-key.mjs";

const POOL = 2000;
const ASSERTION_TYPE = encodeURIComponent("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

/** @type {import("./types.mjs").Scenario} */
export default {
  name: "floor-verify",
  label: "floor + ES256 verify",
  target: "floor",
  async prepare() {
    const { privateKey } = await floorClientKey();
    const now = Math.floor(Date.now() / 1000);
    const bodies = [];
    for (let i = 0; i < POOL; i++) {
      const jwt = await new SignJWT({ jti: `floor-${now}-${i}` })
        .setProtectedHeader({ alg: "ES256", kid: "floor-client", typ: "client-authentication+jwt" })
        .setIssuer(FLOOR_CLIENT_ID)
        .setSubject(FLOOR_CLIENT_ID)
        .setAudience(FLOOR_ISSUER)
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
      next: () => bodies[next++ % bodies.length],
    };
  },
};
