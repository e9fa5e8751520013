/**
 * Server-provided DPoP nonces (RFC 9449 section 8), stateless: a nonce is its time window and an HMAC of that
 * window under the pepper (domain-separated from secret hashes by its prefix), so no isolate stores or shares
 * anything, and a nonce is good for the window it was made in and the next one. A pepper rotation only makes
 * clients fetch a fresh nonce once.
 */
import { digestsEqual, keyedHash } from "./secrets";

const PURPOSE = "latchkey:dpop-nonce:";

async function nonceFor(pepper: string, window: number): Promise<string> {
  const mac = await keyedHash(pepper, `${PURPOSE}${window}`);
  return `${window.toString(36)}.${mac.slice(0, 22)}`;
}

/** The nonce for the window `nowMs` falls in. */
export function currentDpopNonce(pepper: string, nowMs: number, windowMs: number): Promise<string> {
  return nonceFor(pepper, Math.floor(nowMs / windowMs));
}

/** True when `nonce` was made by this server in the current or the previous window. */
export async function isFreshDpopNonce(
  pepper: string,
  nonce: string,
  nowMs: number,
  windowMs: number,
): Promise<boolean> {
  const match = /^([0-9a-z]{1,12})\.[A-Za-z0-9_-]{22}$/.exec(nonce);
  if (!match) return false;
  const window = Number.parseInt(match[1] as string, 36);
  const now = Math.floor(nowMs / windowMs);
  if (window !== now && window !== now - 1) return false;
  return digestsEqual(nonce, await nonceFor(pepper, window));
}
