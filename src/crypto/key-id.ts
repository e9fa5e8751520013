/**
 * Key ids for the server's own secrets (the pepper, the key-encryption key): the first 8 characters of the
 * base64url SHA-256 of the key bytes. Derived, so rotation needs no configured ids; 48 bits of a hash of a
 * 256-bit random key tell nothing about the key, and they are enough to tell a handful of keys apart.
 */
import { fromBase64url, toBase64url } from "./encoding";

const ids = new Map<string, Promise<string>>();

/** The id of a base64url key, cached per isolate. */
export function keyId(key: string): Promise<string> {
  let id = ids.get(key);
  if (!id) {
    id = crypto.subtle.digest("SHA-256", fromBase64url(key)).then((d) => toBase64url(new Uint8Array(d)).slice(0, 8));
    ids.set(key, id);
  }
  return id;
}
