/**
 * Where the SDK and the CLI may send credentials: `https://` anywhere, plain `http://` only to a loopback
 * address (127.0.0.0/8, ::1, localhost), where nothing crosses a network. Checked before any request, so a
 * mistyped or planted `http://` URL never carries a secret, an assertion or a token in the clear.
 */

/** True for localhost, 127.0.0.0/8 and ::1 (as `URL#hostname` spells them). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why `value` may not be used as a Latchkey URL, or null when it may (https, or http to loopback). */
export function insecureUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return null;
  if (url.protocol === "http:")
    return "must use https:// (plain http:// is allowed only for loopback: 127.0.0.0/8, ::1, localhost)";
  return "must be an https:// URL";
}

/** Throws a TypeError naming `what` unless `value` is https (or http to loopback). */
export function requireSecureUrl(value: string, what: string): void {
  const problem = insecureUrlProblem(value);
  if (problem) throw new TypeError(`${what} ${problem}`);
}
