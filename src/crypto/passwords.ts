/**
 * Password hashing for people: PBKDF2-SHA256 through WebCrypto, stored as
 * `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url). Cloudflare's production runtime refuses more than
 * 100,000 iterations while local workerd computes any count, so the cap is enforced here: a stored hash that
 * claims more (or fewer than the floor) is refused without deriving anything.
 */
import { fromBase64url, toBase64url, utf8 } from "./encoding";

/** The most iterations the Workers runtime accepts; also what new hashes use. */
export const PBKDF2_MAX_ITERATIONS = 100_000;
/** Hashes weaker than this are refused too. */
export const PBKDF2_MIN_ITERATIONS = 10_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const FORMAT = /^pbkdf2-sha256\$(\d{1,9})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

export type PasswordCheck = "match" | "mismatch" | "unsupported";

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  if (!Number.isInteger(iterations) || iterations > PBKDF2_MAX_ITERATIONS || iterations < PBKDF2_MIN_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be between ${PBKDF2_MIN_ITERATIONS} and ${PBKDF2_MAX_ITERATIONS}`);
  }
  const key = await crypto.subtle.importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

/** A new stored hash with a random salt. */
export async function hashPassword(password: string, iterations = PBKDF2_MAX_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${toBase64url(salt)}$${toBase64url(hash)}`;
}

/**
 * Checks a password against a stored hash, in constant time over the digests. "unsupported" means the stored
 * value is malformed or outside the iteration bounds: nothing was computed and the caller must refuse.
 */
export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const m = FORMAT.exec(stored);
  if (!m) return "unsupported";
  const iterations = Number(m[1]);
  if (iterations > PBKDF2_MAX_ITERATIONS || iterations < PBKDF2_MIN_ITERATIONS) return "unsupported";
  const expected = fromBase64url(m[3]!);
  const actual = await derive(password, fromBase64url(m[2]!), iterations);
  return crypto.subtle.timingSafeEqual(expected, actual) ? "match" : "mismatch";
}

let decoy: Promise<string> | undefined;

/** Spends the same work as a real check, for sign-ins naming an unknown account. Always false. */
export async function burnPasswordCheck(password: string): Promise<false> {
  decoy ??= hashPassword("latchkey-decoy-password");
  await verifyPassword(password, await decoy);
  return false;
}
