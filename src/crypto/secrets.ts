/**
 * Client ids, client secrets and setup codes: generation, checksums and keyed hashing.
 * Secrets carry 256 random bits, a recognisable prefix (so scanners find leaks) and a 6-character
 * checksum (so a typo or a random string is refused before any database read). Only HMAC-SHA256 under a
 * server-side pepper is stored; a slow KDF would blow the Workers CPU budget and buys nothing at 256 bits.
 */
import { fromBase64url, randomToken, toBase64url, utf8 } from "./encoding";

export const CLIENT_ID_PREFIX = "lkc_";
export const SECRET_PREFIX = "lks_";
export const SETUP_CODE_PREFIX = "lksc_";

const CHECKSUM_LENGTH = 6;
const SECRET_BODY_LENGTH = 43; // 32 bytes
const SETUP_CODE_BODY_LENGTH = 22; // 16 bytes
const ALPHABET = /^[A-Za-z0-9_-]+$/;

async function checksum(prefix: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", utf8.encode(prefix + body));
  return toBase64url(new Uint8Array(digest).slice(0, 6)).slice(0, CHECKSUM_LENGTH);
}

/** `prefix` + `bytes` random bytes (base64url) + checksum. */
export async function mint(prefix: string, bytes: number): Promise<string> {
  const body = randomToken(bytes);
  return prefix + body + (await checksum(prefix, body));
}

function shaped(value: string, prefix: string, bodyLength: number): boolean {
  return (
    value.length === prefix.length + bodyLength + CHECKSUM_LENGTH && value.startsWith(prefix) && ALPHABET.test(value)
  );
}

/** True when `value` is `prefix` + a body of `bodyLength` characters + its valid checksum. */
export async function wellFormed(value: string, prefix: string, bodyLength: number): Promise<boolean> {
  if (!shaped(value, prefix, bodyLength)) return false;
  const body = value.slice(prefix.length, prefix.length + bodyLength);
  return (await checksum(prefix, body)) === value.slice(prefix.length + bodyLength);
}

/** A new client_id: `lkc_` + 128 random bits. Not secret; it is also the credential's id. */
export function newClientId(): string {
  return CLIENT_ID_PREFIX + randomToken(16);
}

/** A shape check for client ids, so junk never reaches the database. */
export function isClientIdShape(value: string): boolean {
  return value.length === CLIENT_ID_PREFIX.length + 22 && value.startsWith(CLIENT_ID_PREFIX) && ALPHABET.test(value);
}

/** A new client secret: `lks_` + 256 random bits + checksum. */
export const newClientSecret = () => mint(SECRET_PREFIX, 32);
/** True when the value has a secret's prefix, length and alphabet (the checksum unchecked). */
export const hasSecretShape = (value: string) => shaped(value, SECRET_PREFIX, SECRET_BODY_LENGTH);
/** True when the value has a secret's shape and a valid checksum. */
export const isWellFormedSecret = (value: string) => wellFormed(value, SECRET_PREFIX, SECRET_BODY_LENGTH);

/** A new setup code: `lksc_` + 128 random bits + checksum. */
export const newSetupCode = () => mint(SETUP_CODE_PREFIX, 16);
/** True when the value has a setup code's shape and a valid checksum. */
export const isWellFormedSetupCode = (value: string) => wellFormed(value, SETUP_CODE_PREFIX, SETUP_CODE_BODY_LENGTH);

/** The first characters of a secret's random part: enough to tell two secrets apart, useless to an attacker. */
export function secretHint(secret: string): string {
  return secret.slice(0, SECRET_PREFIX.length + 4);
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = hmacKeys.get(pepper);
  if (!key) {
    key = crypto.subtle.importKey("raw", fromBase64url(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(pepper, key);
  }
  return key;
}

/** HMAC-SHA256(pepper, value), base64url: the only form in which secrets and codes are stored. */
export async function keyedHash(pepper: string, value: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(pepper), utf8.encode(value));
  return toBase64url(new Uint8Array(mac));
}

/** Constant-time comparison of two base64url digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  return crypto.subtle.timingSafeEqual(x, y);
}

/** A random opaque id with a type prefix, for rows that are not credentials (secrets, events, resources). */
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(12)}`;
}
