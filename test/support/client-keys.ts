/**
 * Test helpers for setup codes and private_key_jwt: client key pairs, signed client assertions (RFC 7523),
 * setup-code redemption through the real endpoint, and distinct client IPs for concurrent callers.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { call, ISSUER } from "./harness";

export const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
/** RFC 10070 section 4: the header type clients built here send. */
export const CLIENT_ASSERTION_TYP = "client-authentication+jwt";
export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface ClientKey {
  alg: "ES256" | "EdDSA";
  privateKey: CryptoKey;
  publicJwk: JWK;
  thumbprint: string;
}

export async function newClientKey(alg: "ES256" | "EdDSA" = "ES256"): Promise<ClientKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, "sha256") };
}

/**
 * Signs a client assertion (RFC 10070: aud = the issuer, typ client-authentication+jwt); `claims` and `header`
 * override the valid defaults (undefined removes a claim or header member).
 */
export async function signAssertion(
  key: ClientKey,
  clientId: string,
  opts: { claims?: Record<string, unknown>; header?: Record<string, unknown>; nowS?: number } = {},
): Promise<string> {
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: ISSUER,
    iat: now,
    exp: now + 60,
    jti: crypto.randomUUID(),
    ...opts.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const header: Record<string, unknown> = {
    alg: key.alg,
    kid: key.thumbprint,
    typ: CLIENT_ASSERTION_TYP,
    ...opts.header,
  };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

let ipCounter = 0;
/** A client IP no other caller used (IPv6 documentation range), for per-IP limits. */
export function uniqueIp(): string {
  ipCounter += 1;
  return `2001:db8:5e7::${ipCounter.toString(16)}`;
}

export function redeem(body: unknown, ip = uniqueIp(), headers: Record<string, string> = {}): Promise<Response> {
  return call("/setup/redeem", {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "latchkey-cli/test", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ip,
  });
}

/** The exact body every unknown, expired, used or cancelled code gets. */
export const INVALID_SETUP_CODE = {
  type: "https://latchkey.dev/problems/invalid_setup_code",
  title: "Invalid setup code",
  status: 400,
  detail: "The setup code is invalid, expired or already used.",
  code: "invalid_setup_code",
};

/** The exact body of every failed client authentication. */
export const INVALID_CLIENT = { error: "invalid_client", error_description: "Client authentication failed." };
