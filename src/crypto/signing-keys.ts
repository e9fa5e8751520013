/**
 * Signing key material: generation, RFC 7638 thumbprints as `kid`, and the at-rest envelope.
 * Private keys are stored only inside a versioned AES-256-GCM envelope ("v1.<iv>.<ciphertext>") whose key
 * is a Worker secret and whose additional data is the kid, so an envelope cannot be swapped onto another key.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { fromBase64url, toBase64url, utf8 } from "./encoding";
import { KEY_GENERATION, type SigningAlg } from "./algorithms";

export interface GeneratedSigningKey {
  kid: string;
  alg: SigningAlg;
  publicJwk: JWK;
  privateJwk: JWK;
}

/** Generates a key pair for `alg`; its kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { ...KEY_GENERATION[alg], extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, "sha256");
  const publicMembers: JWK = { ...publicJwk, kid, alg, use: "sig" };
  return { kid, alg, publicJwk: publicMembers, privateJwk: { ...(await exportJWK(privateKey)), kid, alg } };
}

const ENVELOPE_VERSION = "v1";
const wrappingKeys = new Map<string, Promise<CryptoKey>>();

function wrappingKey(secret: string): Promise<CryptoKey> {
  let key = wrappingKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", fromBase64url(secret), "AES-GCM", false, ["encrypt", "decrypt"]);
    wrappingKeys.set(secret, key);
  }
  return key;
}

/** Encrypts a private JWK for storage, binding it to its kid. */
export async function sealPrivateJwk(secret: string, kid: string, jwk: JWK): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8.encode(kid) },
    await wrappingKey(secret),
    utf8.encode(JSON.stringify(jwk)),
  );
  return [ENVELOPE_VERSION, toBase64url(iv), toBase64url(new Uint8Array(ciphertext))].join(".");
}

/** Decrypts an envelope made by sealPrivateJwk and imports it as a signing key. */
export async function openPrivateKey(secret: string, kid: string, alg: SigningAlg, envelope: string): Promise<CryptoKey> {
  const [version, iv, ciphertext] = envelope.split(".");
  if (version !== ENVELOPE_VERSION || !iv || !ciphertext) throw new Error(`unknown key envelope for ${kid}`);
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64url(iv), additionalData: utf8.encode(kid) },
    await wrappingKey(secret),
    fromBase64url(ciphertext),
  );
  const jwk = JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
  return (await importJWK(jwk, alg)) as CryptoKey;
}

/** Imports a published public JWK for verification. */
export async function importPublicKey(jwk: JWK, alg: string): Promise<CryptoKey> {
  return (await importJWK(jwk, alg)) as CryptoKey;
}
