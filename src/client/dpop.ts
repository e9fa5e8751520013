/**
 * DPoP proofs on the client side (RFC 9449 section 4): a proof key, one fresh proof per request (`jti`
 * random, `htu` without query and fragment, `ath` when an access token goes with it, `nonce` when the server
 * asked for one), and recognising a server's request for a nonce. WebCrypto via jose only, so the same code
 * runs on Node, Workers, Deno and Bun. The private key never leaves the caller's process.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from "jose";

/** The algorithms Latchkey accepts for DPoP proofs. */
export type DpopAlgorithm = "ES256" | "EdDSA";

/** A DPoP proof key: the private key signs, the public JWK goes in every proof, `jkt` is what tokens name. */
export interface DpopKey {
  alg: DpopAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: the `cnf.jkt` of tokens bound to it. */
  jkt: string;
}

/** Builds a DpopKey from a key pair. */
async function fromPair(alg: DpopAlgorithm, privateKey: CryptoKey, publicJwk: JWK): Promise<DpopKey> {
  const { kty, crv, x, y } = publicJwk;
  const jwk = { kty, crv, x, ...(y === undefined ? {} : { y }) } as JWK;
  return { alg, privateKey, publicJwk: jwk, jkt: await calculateJwkThumbprint(jwk, "sha256") };
}

/** Generates a new DPoP key (non-extractable unless `extractable`, e.g. to keep it in a file). */
export async function generateDpopKey(alg: DpopAlgorithm = "ES256", extractable = false): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const usable = extractable
    ? privateKey
    : ((await importJWK({ ...(await exportJWK(privateKey)), alg }, alg, { extractable: false })) as CryptoKey);
  return fromPair(alg, usable, await exportJWK(publicKey));
}

/** Imports a DPoP key from its private JWK (EC P-256 or Ed25519). */
export async function importDpopKey(privateJwk: JWK): Promise<DpopKey> {
  const alg: DpopAlgorithm = privateJwk.kty === "OKP" ? "EdDSA" : "ES256";
  if (typeof privateJwk.d !== "string") throw new TypeError("A DPoP key needs its private JWK");
  const privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  const { d: _d, ...publicJwk } = privateJwk;
  return fromPair(alg, privateKey, publicJwk);
}

/** The private JWK of an extractable DpopKey, for storing it. */
export function exportDpopKey(key: DpopKey): Promise<JWK> {
  return exportJWK(key.privateKey);
}

/** `htu` of a request: the URL without query and fragment (RFC 9449 section 4.2). */
export function htuOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** base64url SHA-256 of an access token: the proof's `ath` (RFC 9449 section 4.2). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken)));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** What one proof is for. */
export interface ProofRequest {
  method: string;
  url: string;
  /** The access token the request carries (resource servers): adds `ath`. */
  accessToken?: string;
  /** The server's latest `DPoP-Nonce`. */
  nonce?: string;
  /** Seconds since the epoch. */
  now?: number;
}

/** Signs a fresh DPoP proof for one request. */
export async function createDpopProof(key: DpopKey, req: ProofRequest): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: req.method.toUpperCase(),
    htu: htuOf(req.url),
    iat: req.now ?? Math.floor(Date.now() / 1000),
  };
  if (req.accessToken !== undefined) claims.ath = await accessTokenHash(req.accessToken);
  if (req.nonce !== undefined) claims.nonce = req.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ typ: "dpop+jwt", alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}

/**
 * The nonce a server asks for (RFC 9449 sections 8 and 9): a token endpoint's 400 `use_dpop_nonce`, or a
 * resource server's 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"`; undefined otherwise.
 */
export async function requestedNonce(response: Response): Promise<string | undefined> {
  const nonce = response.headers.get("dpop-nonce") ?? undefined;
  if (nonce === undefined) return undefined;
  if (response.status === 401) {
    return /error="use_dpop_nonce"/.test(response.headers.get("www-authenticate") ?? "") ? nonce : undefined;
  }
  if (response.status !== 400) return undefined;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined;
  return body?.error === "use_dpop_nonce" ? nonce : undefined;
}
