/**
 * Signing the revocation feed: a JWT of `typ: latchkey-revocations+jwt`, signed with the same key ring as
 * access tokens, so a resource server verifies it with the JWKS it already trusts. The distinct `typ` keeps
 * a feed from ever passing as an access token (`at+jwt`) and the reverse (RFC 8725 section 3.11).
 */
import { type JWTPayload, SignJWT } from "jose";
import type { SigningKey } from "./access-token";
import { toBase64url, utf8 } from "./encoding";

/** The `typ` header of every revocation feed. */
export const REVOCATION_FEED_TYP = "latchkey-revocations+jwt";

/** Signs a feed's claims with the ring's current signer. */
export function signRevocationFeed(claims: JWTPayload, signer: SigningKey): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: REVOCATION_FEED_TYP })
    .sign(signer.key);
}

/** base64url SHA-256 of `text`: the feed's content tag (its ETag). */
export async function contentTag(text: string): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text))));
}
