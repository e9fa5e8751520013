/**
 * Signing key material: generation, RFC 7638 thumbprints as `kid`, and the at-rest envelope.
 * Private keys are stored only inside a versioned AES-256-GCM envelope ("v2.<key id>.<iv>.<ciphertext>") whose
 * key is a Worker secret and whose additional data is the kid, so an envelope cannot be swapped onto another key.
 * The key id names which key-encryption key sealed it, so a rotated deployment opens old envelopes with the
 * previous key until the cron has resealed them; v1 envelopes (no id) are still read.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { fromBase64url, toBase64url, utf8 } from "./encoding";
import { KEY_GENERATION, type SigningAlg } from "./algorithms";
import { keyId } from "./key-id";

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

const ENVELOPE_VERSION = "v2";
const LEGACY_VERSION = "v1";
const wrappingKeys = new Map<string, Promise<CryptoKey>>();

/** The key-encryption keys an isolate holds: the current one seals, either opens. */
export interface WrappingSecrets {
  current: string;
  previous?: string;
}

function wrappingKey(secret: string): Promise<CryptoKey> {
  let key = wrappingKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", fromBase64url(secret), "AES-GCM", false, ["encrypt", "decrypt"]);
    wrappingKeys.set(secret, key);
  }
  return key;
}

/** Encrypts a private JWK for storage under `secret`, binding it to its kid: "v2.<key id>.<iv>.<ciphertext>". */
export async function sealPrivateJwk(secret: string, kid: string, jwk: JWK): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8.encode(kid) },
    await wrappingKey(secret),
    utf8.encode(JSON.stringify(jwk)),
  );
  return [ENVELOPE_VERSION, await keyId(secret), toBase64url(iv), toBase64url(new Uint8Array(ciphertext))].join(".");
}

/** The key id an envelope names; null for a v1 envelope, which names none. */
export function envelopeKeyId(envelope: string): string | null {
  return envelope.startsWith(`${ENVELOPE_VERSION}.`) ? (envelope.split(".")[1] ?? null) : null;
}

async function decrypt(secret: string, kid: string, iv: string, ciphertext: string): Promise<JWK> {
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64url(iv), additionalData: utf8.encode(kid) },
    await wrappingKey(secret),
    fromBase64url(ciphertext),
  );
  return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
}

/**
 * Decrypts an envelope with the key its id names. A v1 envelope (made before key ids) is tried under the
 * current key, then the previous one. An id matching neither fails loudly: the deployment lost the key.
 */
export async function openPrivateJwk(secrets: WrappingSecrets, kid: string, envelope: string): Promise<JWK> {
  const parts = envelope.split(".");
  if (parts[0] === LEGACY_VERSION && parts.length === 3) {
    const [, iv, ciphertext] = parts as [string, string, string];
    try {
      return await decrypt(secrets.current, kid, iv, ciphertext);
    } catch (err) {
      if (!secrets.previous) throw err;
      return decrypt(secrets.previous, kid, iv, ciphertext);
    }
  }
  if (parts[0] !== ENVELOPE_VERSION || parts.length !== 4) throw new Error(`unknown key envelope for ${kid}`);
  const [, id, iv, ciphertext] = parts as [string, string, string, string];
  for (const secret of [secrets.current, secrets.previous]) {
    if (secret && (await keyId(secret)) === id) return decrypt(secret, kid, iv, ciphertext);
  }
  throw new Error(
    `key envelope for ${kid} is under key id ${id}: neither KEY_ENCRYPTION_KEY nor KEY_ENCRYPTION_KEY_PREVIOUS`,
  );
}

/** Decrypts an envelope made by sealPrivateJwk and imports it as a signing key. */
export async function openPrivateKey(
  secrets: WrappingSecrets,
  kid: string,
  alg: SigningAlg,
  envelope: string,
): Promise<CryptoKey> {
  return (await importJWK(await openPrivateJwk(secrets, kid, envelope), alg)) as CryptoKey;
}

/** Imports a published public JWK for verification. */
export async function importPublicKey(jwk: JWK, alg: string): Promise<CryptoKey> {
  return (await importJWK(jwk, alg)) as CryptoKey;
}
