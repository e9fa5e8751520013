/**
 * The webhook event catalog and the rules for endpoint URLs. Event names are a public interface (receivers
 * switch on them), so they are listed once here; the console, the API schema and the docs read this list.
 * Endpoint URLs are https only: plain http is accepted for a loopback host only while the deployment itself
 * runs on loopback (local development), so a deployed Latchkey never signs events onto the network in clear.
 */

/** Every event Latchkey sends, in the order the console lists them. `webhook.test` is the "send test event". */
export const WEBHOOK_EVENT_TYPES = [
  "credential.created",
  "credential.revoked",
  "credential.secret_rotated",
  "credential.expiring",
  "secret.expiring",
  "credential.stale",
  "credential.network_denied",
  "credential.network_outside_allowlist",
  "credential.quota_exceeded",
  "credential.not_caching",
  "secret.leaked",
  "webhook.test",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event types an endpoint may subscribe to (the test event is sent on request, to one endpoint). */
export const SUBSCRIBABLE_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter((t) => t !== "webhook.test");

/** Days before a credential's or a secret's expiry at which an `*.expiring` event is sent, once each. */
export const EXPIRY_NOTICE_DAYS = [7, 1] as const;

/** How long a credential may go unused before `credential.stale`, unless the tenant sets its own. */
export const DEFAULT_STALE_AFTER_DAYS = 30;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** True when `url` names a loopback host (127.0.0.1, localhost, ::1). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Why `raw` cannot be a webhook endpoint for a deployment whose issuer is `issuer`, or null when it can:
 * absolute https without credentials or fragment; http only to loopback while the issuer is loopback.
 */
export function endpointUrlProblem(raw: string, issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "url must be an absolute URL.";
  }
  if (url.username || url.password) return "url must not carry credentials.";
  if (url.hash) return "url must not have a fragment.";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && isLoopbackUrl(url) && isLoopbackUrl(new URL(issuer))) return null;
  return "url must use https (plain http only to a loopback host in local development).";
}
