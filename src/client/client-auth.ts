/**
 * Client authentication at the token endpoint: client_secret_basic (RFC 6749 section 2.3.1) and
 * private_key_jwt (RFC 7523 section 2.2 as updated by RFC 10070). Pure functions over WebCrypto via jose,
 * so they run on Node, Workers, Deno and Bun alike.
 */
import { SignJWT, importJWK, type CryptoKey, type JWK } from "jose";

/** Signing algorithms Latchkey accepts for client assertions. */
export type AssertionAlgorithm = "ES256" | "EdDSA";

/** RFC 7523 section 2.2 client assertion type. */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** application/x-www-form-urlencoded encoding of one value (space as `+`). */
export function formEncode(value: string): string {
  return new URLSearchParams([["v", value]]).toString().slice(2);
}

/**
 * The `Authorization` header value for client_secret_basic.
 * RFC 6749 section 2.3.1: the id and the secret are form-urlencoded before being joined and base64-encoded.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

/** A private key ready to sign client assertions. */
export interface AssertionKey {
  key: CryptoKey;
  kid: string;
  alg: AssertionAlgorithm;
}

/** Infers the JWS algorithm from a JWK (`alg` first, then kty/crv). */
export function algorithmForJwk(jwk: JWK): AssertionAlgorithm {
  if (jwk.alg === "ES256") return "ES256";
  if (jwk.alg === "EdDSA") return "EdDSA";
  if (jwk.alg === "Ed25519") return "EdDSA";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  throw new TypeError("Private key must be an EC P-256 (ES256) or Ed25519 (EdDSA) key");
}

/**
 * Imports a private key for client assertions from a private JWK (which must carry `kid`) or a CryptoKey
 * (then `kid` and `alg` must be given).
 */
export async function toAssertionKey(
  privateKey: CryptoKey | JWK,
  opts: { kid?: string; alg?: AssertionAlgorithm } = {},
): Promise<AssertionKey> {
  if (isJwk(privateKey)) {
    if (typeof privateKey.d !== "string") throw new TypeError("The JWK is not a private key");
    const alg = opts.alg ?? algorithmForJwk(privateKey);
    const kid = opts.kid ?? privateKey.kid;
    if (!kid) throw new TypeError("The private JWK needs a kid (the key_id given at setup)");
    const key = await importJWK({ ...privateKey, alg }, alg);
    return { key: key as CryptoKey, kid, alg };
  }
  if (!opts.kid || !opts.alg) throw new TypeError("A CryptoKey private key needs keyId and algorithm");
  return { key: privateKey, kid: opts.kid, alg: opts.alg };
}

function isJwk(value: CryptoKey | JWK): value is JWK {
  return typeof (value as JWK).kty === "string";
}

/** RFC 10070 section 4: the explicit header type of a client assertion. */
export const CLIENT_ASSERTION_TYP = "client-authentication+jwt";

/**
 * Signs an RFC 7523 client assertion as RFC 10070 requires: iss = sub = client_id, aud = the authorization
 * server's issuer identifier (its sole value, never the token endpoint URL), exp = iat + 60 s, a unique jti,
 * header alg + kid + typ `client-authentication+jwt`.
 * @param issuer the issuer identifier (trailing slashes are removed, as discovery does)
 * @param now seconds since the epoch (injectable for tests)
 */
export async function createClientAssertion(params: {
  clientId: string;
  issuer: string;
  key: AssertionKey;
  now?: number;
  lifetime?: number;
}): Promise<string> {
  const iat = params.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: params.key.alg, kid: params.key.kid, typ: CLIENT_ASSERTION_TYP })
    .setIssuer(params.clientId)
    .setSubject(params.clientId)
    .setAudience(params.issuer.replace(/\/+$/, ""))
    .setIssuedAt(iat)
    .setExpirationTime(iat + (params.lifetime ?? 60))
    .setJti(crypto.randomUUID())
    .sign(params.key.key);
}
