/**
 * ECDSA signatures as GitHub's secret-scanning partner program sends them: P-256 over SHA-256, base64 DER
 * (an ASN.1 SEQUENCE of two INTEGERs). WebCrypto verifies only the fixed-length r||s form (IEEE P1363), so
 * this converts strictly: anything that is not exactly one well-formed SEQUENCE of two short INTEGERs fails.
 */
import { importSPKI } from "jose";

const P256_SIZE = 32;

function readInteger(der: Uint8Array, at: number): { value: Uint8Array; next: number } | null {
  if (der[at] !== 0x02) return null;
  const length = der[at + 1];
  if (length === undefined || length === 0 || length > P256_SIZE + 1) return null;
  const start = at + 2;
  if (start + length > der.length) return null;
  let value = der.slice(start, start + length);
  while (value.length > P256_SIZE && value[0] === 0) value = value.slice(1);
  if (value.length > P256_SIZE) return null;
  return { value, next: start + length };
}

/** DER ECDSA-Sig-Value -> r||s (64 bytes), or null when malformed. */
export function derToRawP256(der: Uint8Array): Uint8Array | null {
  if (der[0] !== 0x30 || der[1] === undefined || der[1] !== der.length - 2) return null;
  const r = readInteger(der, 2);
  const s = r ? readInteger(der, r.next) : null;
  if (!r || !s || s.next !== der.length) return null;
  const raw = new Uint8Array(P256_SIZE * 2);
  raw.set(r.value, P256_SIZE - r.value.length);
  raw.set(s.value, P256_SIZE * 2 - s.value.length);
  return raw;
}

/** Imports a PEM SPKI P-256 public key for ECDSA verification; null when it is not one. */
export async function importEcdsaPem(pem: string): Promise<CryptoKey | null> {
  try {
    return (await importSPKI(pem, "ES256")) as CryptoKey;
  } catch {
    return null;
  }
}

/** Verifies a base64 DER ECDSA P-256 SHA-256 signature over `body`. False for any malformed input. */
export async function verifyDerSignature(key: CryptoKey, signatureBase64: string, body: Uint8Array): Promise<boolean> {
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(signatureBase64), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  const raw = derToRawP256(der);
  if (!raw) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, body);
}
