/**
 * Signing and verifying Latchkey's own access tokens (RFC 9068 JWT profile) with jose.
 * The header carries only typ, alg and kid (RFC 8725: no jku, x5u or embedded jwk).
 */
import { decodeJwt, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { AccessTokenClaims } from "../domain/token-claims";

/** A key of the ring with its `kid` and `alg`: the private key to sign, or a public key to verify. */
export interface SigningKey {
  kid: string;
  alg: string;
  key: CryptoKey;
}

/** Signs the claims as an `at+jwt`. */
export function signAccessToken(claims: AccessTokenClaims, signer: SigningKey): Promise<string> {
  return new SignJWT(claims as unknown as JWTPayload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
    .sign(signer.key);
}

/**
 * Verifies one of Latchkey's own access tokens against its published keys.
 * Returns the claims, or null for any failure: the caller decides the error.
 */
export async function verifyAccessToken(
  token: string,
  keys: ReadonlyMap<string, SigningKey>,
  expected: { issuer: string; audience: string },
): Promise<AccessTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const found = header.kid ? keys.get(header.kid) : undefined;
        if (!found || found.alg !== header.alg) throw new Error("unknown key");
        return found.key;
      },
      { issuer: expected.issuer, audience: expected.audience, typ: "at+jwt", clockTolerance: 5 },
    );
    return payload as unknown as AccessTokenClaims;
  } catch {
    return null;
  }
}

/** The unverified `iss` of a JWT, to choose which tenant's keys verify it; undefined when unreadable. */
export function peekIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}
