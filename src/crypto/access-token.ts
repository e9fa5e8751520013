/**
 * Signing and verifying Latchkey's own access tokens (RFC 9068 JWT profile): signed by compact-jws.ts,
 * verified with jose. The header carries only typ, alg and kid (RFC 8725: no jku, x5u or embedded jwk).
 */
import { decodeJwt, jwtVerify } from "jose";
import type { PersonTokenClaims } from "../domain/person-token-claims";
import type { AccessTokenClaims, TokenBinding } from "../domain/token-claims";
import type { SigningAlg } from "./algorithms";
import { signCompact } from "./compact-jws";

/** A key of the ring with its `kid` and `alg`: the private key to sign, or a public key to verify. */
export interface SigningKey {
  kid: string;
  alg: string;
  key: CryptoKey;
  /** RFC 9449: a signer bound for one request puts this `cnf` into every token it signs, whichever grant asks. */
  confirmation?: TokenBinding;
}

/** Signs the claims (a credential's or a person's) as an `at+jwt`, with the signer's `cnf` when it is bound to a DPoP key. */
export function signAccessToken(claims: AccessTokenClaims | PersonTokenClaims, signer: SigningKey): Promise<string> {
  const payload = signer.confirmation ? { ...claims, cnf: signer.confirmation } : claims;
  return signCompact({ alg: signer.alg as SigningAlg, kid: signer.kid, typ: "at+jwt" }, payload, signer.key);
}

/**
 * Verifies one of Latchkey's own access tokens against its published keys.
 * Returns the claims, or null for any failure: the caller decides the error.
 */
export function verifyAccessToken(
  token: string,
  keys: ReadonlyMap<string, SigningKey>,
  expected: { issuer: string; audience: string },
): Promise<AccessTokenClaims | null> {
  return verifyIssuedToken(token, keys, expected.issuer, expected.audience);
}

/**
 * Verifies a token Latchkey issued, for whichever audience unless `audience` is given (introspection and
 * revocation take tokens of every resource). Returns the claims, or null for any failure.
 */
export async function verifyIssuedToken(
  token: string,
  keys: ReadonlyMap<string, SigningKey>,
  issuer: string,
  audience?: string,
): Promise<AccessTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const found = header.kid ? keys.get(header.kid) : undefined;
        if (!found || found.alg !== header.alg) throw new Error("unknown key");
        return found.key;
      },
      { issuer, audience, typ: "at+jwt", clockTolerance: 5, requiredClaims: ["exp", "iat", "jti", "client_id"] },
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
