/**
 * The JWS compact serialization (RFC 7515 section 7.1) of Latchkey's own tokens, signed over
 * crypto.subtle.sign with the protected header encoded once per key. Measured in the bench against jose's
 * SignJWT (12-19% of a secret mint's CPU: SignJWT re-validates and re-encodes the header and claims on
 * every call); everything else JOSE stays with jose, and the tests verify these tokens with jose's jwtVerify.
 */
import { SIGN_PARAMS, type SigningAlg } from "./algorithms";
import { toBase64url, utf8 } from "./encoding";

const MAX_HEADERS = 64;
const headers = new Map<string, string>();

function encodedHeader(header: { alg: SigningAlg; kid: string; typ: string }): string {
  const key = `${header.alg} ${header.kid} ${header.typ}`;
  let encoded = headers.get(key);
  if (encoded === undefined) {
    encoded = toBase64url(utf8.encode(JSON.stringify(header)));
    if (headers.size >= MAX_HEADERS) headers.clear();
    headers.set(key, encoded);
  }
  return encoded;
}

/** Signs `payload` (serialized with JSON.stringify) under a protected header of exactly alg, kid and typ. */
export async function signCompact(
  header: { alg: SigningAlg; kid: string; typ: string },
  payload: unknown,
  key: CryptoKey,
): Promise<string> {
  const input = `${encodedHeader(header)}.${toBase64url(utf8.encode(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign(SIGN_PARAMS[header.alg], key, utf8.encode(input));
  return `${input}.${toBase64url(new Uint8Array(signature))}`;
}
