/**
 * The device authorization grant (RFC 8628) as pure rules: the public clients that may use it (today only the
 * `latchkey` CLI), the user-code alphabet and its normalisation, the code and session lifetimes, and the polling
 * pace. Services apply them; nothing here touches storage or randomness.
 */

/** RFC 8628 section 3.4: the grant_type of the device access token request. */
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";

/** The public clients (RFC 6749 section 2.1) that may start a device sign-in, by their fixed client_id. */
export const PUBLIC_CLIENTS: ReadonlyMap<string, { name: string }> = new Map([
  ["latchkey-cli", { name: "latchkey CLI" }],
]);

/** The CLI's fixed client_id. */
export const CLI_CLIENT_ID = "latchkey-cli";

/**
 * RFC 8628 section 6.1's example alphabet: 20 consonants, no vowels (no words), none mistaken for a digit.
 * Eight of them give 20^8 (about 2^34.6) codes, shown as XXXX-XXXX.
 */
export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
export const USER_CODE_LENGTH = 8;

/** How long a device code and its user code stay usable (RFC 8628 `expires_in`). */
export const DEVICE_CODE_TTL_MS = 10 * 60_000;
/** The polling interval a client starts with (RFC 8628 `interval`, seconds). */
export const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 section 3.5: slow_down adds 5 seconds to the interval for this and every later request. */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** A poll this much early still counts as on time (network jitter). */
export const POLL_GRACE_MS = 500;

/** A device session (the refresh token's life) ends this long after sign-in, however often it is used. */
export const DEVICE_SESSION_MS = 30 * 24 * 3_600_000;
/** The lifetime of a person's access token (seconds): short, because it is a bearer token to the admin API. */
export const PERSON_TOKEN_LIFETIME_SECONDS = 600;

/** The user code as stored and compared: upper case, separators and spaces dropped; null when malformed. */
export function normalizeUserCode(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s-]/g, "");
  if (compact.length !== USER_CODE_LENGTH) return null;
  for (const ch of compact) if (!USER_CODE_ALPHABET.includes(ch)) return null;
  return compact;
}

/** The user code as shown to people: XXXX-XXXX. */
export function displayUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/** A hostname the tool reports about itself, made safe to show: printable, at most 64 characters; null if none. */
export function cleanHostname(value: string | undefined): string | null {
  if (value === undefined) return null;
  const printable = value.replace(/[^\x21-\x7E]/g, "").slice(0, 64);
  return printable === "" ? null : printable;
}

/** What the console shows as the device and app of a tool's session. */
export function toolSessionName(clientId: string, hostname: string | null): string {
  const name = PUBLIC_CLIENTS.get(clientId)?.name ?? clientId;
  return hostname ? `${name} on ${hostname}` : name;
}

/** True when a poll at `nowMs` comes at least `intervalSeconds` after the last accepted one. */
export function pollOnTime(lastPolledAt: number | null, intervalSeconds: number, nowMs: number): boolean {
  return lastPolledAt === null || nowMs - lastPolledAt >= intervalSeconds * 1000 - POLL_GRACE_MS;
}
