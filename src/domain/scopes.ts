/**
 * Scope and resource rules for the token endpoint: the RFC 6749 section 3.3 grammar, narrowing against a
 * credential's grants (Latchkey rejects what is not granted rather than silently dropping it), and the
 * RFC 8707 shape of a resource indicator.
 */
import type { Grant } from "./grants";

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Splits a scope parameter into tokens; null when it breaks the grammar (double spaces, bad characters). */
export function parseScopeParam(scope: string): string[] | null {
  const tokens = scope.split(" ");
  if (tokens.some((t) => !SCOPE_TOKEN.test(t))) return null;
  return [...new Set(tokens)];
}

/** True for a scope name an admin may define: the RFC grammar, at most 128 characters. */
export function isValidScopeName(name: string): boolean {
  return name.length <= 128 && SCOPE_TOKEN.test(name);
}

/** RFC 8707 section 2: an absolute URI with no fragment. */
export function isValidResourceUri(value: string): boolean {
  if (value.length > 2048 || value.includes("#")) return false;
  try {
    new URL(value);
  } catch {
    return false;
  }
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value);
}

export type GrantSelection =
  | { ok: true; resource: string; scopes: string[] }
  | { ok: false; error: "invalid_target" | "invalid_scope" };

/**
 * Picks the resource and scopes for a token. Omitted resource: the credential's first grant.
 * Omitted scope: everything granted on that resource. Anything not granted is refused, never narrowed.
 */
export function selectGrant(
  grants: Grant[],
  resource: string | undefined,
  scopes: string[] | undefined,
): GrantSelection {
  const grant = resource === undefined ? grants[0] : grants.find((g) => g.resource === resource);
  if (!grant) return { ok: false, error: "invalid_target" };
  if (scopes === undefined) return { ok: true, resource: grant.resource, scopes: [...grant.scopes] };
  const granted = new Set(grant.scopes);
  if (!scopes.every((s) => granted.has(s))) return { ok: false, error: "invalid_scope" };
  return { ok: true, resource: grant.resource, scopes };
}
