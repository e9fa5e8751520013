/**
 * Policy for credentials, independent of storage: what a label and a group may be, how grants are checked
 * against a tenant's resource catalog, the rule that grants may only shrink after creation (so a write scope
 * can be granted at creation and never added later), and how status and secret liveness follow from time.
 */
import type { Grant, ScopeDefinition } from "./grants";

export const MAX_LIVE_SECRETS = 2;
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;
export const MAX_ROTATION_GRACE_SECONDS = 30 * 86_400;

/** A label is any printable text, 1-64 characters, no control characters (it is always rendered as text). */
export function isValidLabel(label: string): boolean {
  return label.length >= 1 && label.length <= 64 && label.trim() === label && !/\p{Cc}/u.test(label);
}

/** A group is a team name: 1-64 printable characters. */
export function isValidGroup(group: string): boolean {
  return group.length >= 1 && group.length <= 64 && group.trim() === group && !/[\p{Cc}\s]/u.test(group);
}

export interface CatalogResource {
  uri: string;
  scopes: ScopeDefinition[];
}

/** Checks requested grants against the tenant's catalog; returns a fixed-text problem, or null when valid. */
export function checkGrants(grants: Grant[], catalog: CatalogResource[]): string | null {
  const byUri = new Map(catalog.map((r) => [r.uri, r]));
  const seen = new Set<string>();
  for (const grant of grants) {
    const resource = byUri.get(grant.resource);
    if (!resource) return "A grant names a resource that does not exist in this tenant.";
    if (seen.has(grant.resource)) return "A resource appears in more than one grant.";
    seen.add(grant.resource);
    const known = new Set(resource.scopes.map((s) => s.name));
    if (grant.scopes.some((s) => !known.has(s))) return "A grant names a scope its resource does not define.";
    if (new Set(grant.scopes).size !== grant.scopes.length) return "A grant repeats a scope.";
  }
  return null;
}

/** True when every scope of `next` was already granted in `current`: grants may only shrink. */
export function isNarrowing(current: Grant[], next: Grant[]): boolean {
  const held = new Map(current.map((g) => [g.resource, new Set(g.scopes)]));
  return next.every((g) => {
    const scopes = held.get(g.resource);
    return scopes !== undefined && g.scopes.every((s) => scopes.has(s));
  });
}

/** The write scopes among a grant set, for the audit log and the console's warning. */
export function writeScopesOf(grants: Grant[], catalog: CatalogResource[]): string[] {
  const writes = new Set(catalog.flatMap((r) => r.scopes.filter((s) => s.write).map((s) => `${r.uri} ${s.name}`)));
  return grants.flatMap((g) => g.scopes.filter((s) => writes.has(`${g.resource} ${s}`)));
}

export type CredentialStatus = "active" | "revoked" | "expired";

/** A credential's effective status at `nowMs`. */
export function credentialStatus(c: { status: string; expiresAt: number | null }, nowMs: number): CredentialStatus {
  if (c.status === "revoked") return "revoked";
  if (c.expiresAt !== null && c.expiresAt <= nowMs) return "expired";
  return "active";
}

/** A secret (or key) authenticates while it is neither retired nor past its own expiry. */
export function isLive(s: { retiredAt: number | null; expiresAt: number | null }, nowMs: number): boolean {
  return s.retiredAt === null && (s.expiresAt === null || s.expiresAt > nowMs);
}

/** How many earlier live secrets (or keys) a setup-code redemption leaves without an end date. */
export const REDEMPTION_KEEPS_OPEN = MAX_LIVE_SECRETS - 1;

/**
 * The rotation grace policy, one rule for secrets and public keys alike: when one is added, the live ones it
 * replaces keep working until the grace period ends (never longer than their own end; callers cap with
 * capSecretExpiry / capKeyExpiry). Replaced are all live ones but the newest `keepOpen`, so at most
 * MAX_LIVE_SECRETS stay live without an end date:
 * - an admin rotation replaces every live secret (`keepOpen` 0; it is refused while two are live);
 * - a setup-code redemption provisions one more machine next to the others (`keepOpen` MAX_LIVE_SECRETS - 1).
 * `rows` come newest first; `addedId`, the row being added (already present when a redemption is retried), is
 * never replaced. Returns the ids to cap.
 */
export function replacedOnAdd<T extends { id: string; retiredAt: number | null; expiresAt: number | null }>(
  rows: T[],
  nowMs: number,
  keepOpen: number,
  addedId?: string,
): string[] {
  return rows
    .filter((r) => r.id !== addedId && isLive(r, nowMs))
    .slice(keepOpen)
    .map((r) => r.id);
}
