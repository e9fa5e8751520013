/** base64url without padding, over bytes (the only encoding Latchkey's secrets and ids use). */

export function toBase64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export const utf8 = new TextEncoder();

/** Random bytes from the platform CSPRNG, base64url-encoded. */
export function randomToken(byteLength: number): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(byteLength)));
}
