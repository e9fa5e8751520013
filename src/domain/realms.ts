/**
 * Realms: every tenant is its own OAuth issuer. The default tenant keeps the deployment's root issuer
 * (ISSUER), so nothing that existed before realms changes; every other tenant's issuer is `{ISSUER}/t/{id}`.
 * The tenant id is a slug (lower-case letters, digits, inner hyphens, 3-32 characters), so it is safe in a
 * URL path and in an issuer identifier as it stands. issuerFor is the ONE place an issuer is made.
 */
import { DEFAULT_TENANT_ID } from "./management";

/** The path segment that introduces a tenant's issuer path: `{ISSUER}/t/{tenant}`. */
export const REALM_PATH_PREFIX = "/t/";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$/;
/** Slugs no tenant may take: the default tenant (served at the root) and words the console and docs use. */
const RESERVED = new Set([DEFAULT_TENANT_ID, "api", "admin", "root", "oauth", "setup", "well-known", "latchkey"]);

/** True when `id` may name a new tenant: a slug of the grammar above, not reserved, no double hyphen. */
export function isValidTenantSlug(id: string): boolean {
  return SLUG.test(id) && !id.includes("--") && !RESERVED.has(id);
}

/** True when `id` could name an existing tenant in a URL: a valid slug, or the default tenant's id. */
export function isTenantIdShape(id: string): boolean {
  return id === DEFAULT_TENANT_ID || (SLUG.test(id) && !id.includes("--"));
}

/** A slug made from a display name ("Acme Corp." -> "acme-corp"); it may still fail isValidTenantSlug. */
export function slugFromName(name: string): string {
  return name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32)
    .replace(/-+$/, "");
}

/**
 * The issuer identifier of `tenantId` (RFC 8414 section 2; the `iss` of its tokens, the `aud` its clients'
 * assertions carry): the root ISSUER for the default tenant, `{ISSUER}/t/{tenantId}` for every other.
 */
export function issuerFor(config: { issuer: string }, tenantId: string): string {
  return tenantId === DEFAULT_TENANT_ID ? config.issuer : `${config.issuer}${REALM_PATH_PREFIX}${tenantId}`;
}

/** The tenant whose issuer is exactly `iss`, or null when `iss` is no issuer of this deployment. */
export function tenantOfIssuer(config: { issuer: string }, iss: unknown): string | null {
  if (typeof iss !== "string") return null;
  if (iss === config.issuer) return DEFAULT_TENANT_ID;
  const prefix = `${config.issuer}${REALM_PATH_PREFIX}`;
  if (!iss.startsWith(prefix)) return null;
  const id = iss.slice(prefix.length);
  return id !== DEFAULT_TENANT_ID && isTenantIdShape(id) ? id : null;
}
