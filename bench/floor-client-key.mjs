// The client key of the floor's verify scenario: one ES256 key pair per bench process, made on first use. The
// floor Worker gets the public JWK as a binding (runtime.mjs startFloor), the scenario signs with the private
// key, so the floor verifies the same kind of assertion Latchkey's private_key_jwt mint does.
import { exportJWK, generateKeyPair } from "jose";

/** The floor's client id and issuer, the values its assertions carry as iss/sub and aud. */
export const FLOOR_CLIENT_ID = "lkc_floorfloorfloorfloorfl";
export const FLOOR_ISSUER = "http://127.0.0.1";

let pair;

/** { privateKey, publicJwk } of this process's floor client key. */
export function floorClientKey() {
  pair ??= generateKeyPair("ES256").then(async ({ privateKey, publicKey }) => ({
    privateKey,
    publicJwk: await exportJWK(publicKey),
  }));
  return pair;
}
