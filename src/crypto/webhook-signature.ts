/**
 * Standard Webhooks signing: `whsec_` secrets (32 random bytes, standard base64, as the reference libraries
 * expect), the `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` signature, and sealing the secret at
 * rest. Unlike client secrets, the signer needs the secret back, so it is stored in the AES-GCM envelope of
 * signing-keys.ts under the key-encryption key, with the endpoint id as additional data.
 */
import { openPrivateJwk, sealPrivateJwk, type WrappingSecrets } from "./signing-keys";
import { utf8 } from "./encoding";

export const WEBHOOK_SECRET_PREFIX = "whsec_";

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The first characters of a secret, to tell secrets apart in the console. */
export function webhookSecretHint(secret: string): string {
  return secret.slice(0, WEBHOOK_SECRET_PREFIX.length + 4);
}

/** The `webhook-signature` header value for one attempt (Standard Webhooks, version v1). */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** Seals a signing secret for storage, bound to its endpoint. */
export function sealWebhookSecret(kek: string, endpointId: string, secret: string): Promise<string> {
  return sealPrivateJwk(kek, endpointId, { kty: "oct", k: secret });
}

/** Opens a sealed signing secret (current or previous key-encryption key). */
export async function openWebhookSecret(keys: WrappingSecrets, endpointId: string, envelope: string): Promise<string> {
  const jwk = await openPrivateJwk(keys, endpointId, envelope);
  if (typeof jwk.k !== "string") throw new Error(`webhook secret envelope of ${endpointId} holds no secret`);
  return jwk.k;
}
