/**
 * The codes of the device grant (RFC 8628) and its refresh tokens. Device codes and refresh tokens are
 * bearer secrets like client secrets: 256 random bits, a recognisable prefix and a checksum, stored only
 * as keyed hashes. User codes are short for people to type: letters of the alphabet the caller gives
 * (domain/device-rules.ts), drawn without modulo bias.
 */
import { mint, wellFormed } from "./secrets";

export const DEVICE_CODE_PREFIX = "lkd_";
export const REFRESH_TOKEN_PREFIX = "lkr_";
const BODY_LENGTH = 43;

/** A new device code: `lkd_` + 256 random bits + checksum. */
export const newDeviceCode = () => mint(DEVICE_CODE_PREFIX, 32);
/** True when the value has a device code's shape and checksum. */
export const isWellFormedDeviceCode = (value: string) => wellFormed(value, DEVICE_CODE_PREFIX, BODY_LENGTH);

/** A new refresh token: `lkr_` + 256 random bits + checksum. */
export const newRefreshToken = () => mint(REFRESH_TOKEN_PREFIX, 32);
/** True when the value has a refresh token's shape and checksum. */
export const isWellFormedRefreshToken = (value: string) => wellFormed(value, REFRESH_TOKEN_PREFIX, BODY_LENGTH);

/** `length` random letters of `alphabet` (at most 256): rejection sampling keeps every letter equally likely. */
export function newUserCode(alphabet: string, length: number): string {
  const n = alphabet.length;
  const limit = 256 - (256 % n);
  let code = "";
  while (code.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      if (byte < limit && code.length < length) code += alphabet[byte % n];
    }
  }
  return code;
}
