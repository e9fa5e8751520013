/**
 * The authority rule: nobody confers or takes over more of Latchkey's own powers than they hold. Latchkey's
 * powers are the scopes of the management resource; `credentials:write` alone would otherwise let a caller
 * mint itself a full administrator, or take over one by rotating its secret or giving it a setup code.
 * Scopes of a tenant's own APIs are not powers over Latchkey and stay governed by `credentials:write`.
 * The same rule serves machines (their token's scopes) and people (their role's scopes).
 */
import { ProblemError } from "./errors";
import type { Grant } from "./grants";
import { MANAGEMENT_RESOURCE } from "./management";

/** The management scopes a grant set holds, sorted. */
export function managementScopesOf(grants: readonly Grant[]): string[] {
  return [...new Set(grants.filter((g) => g.resource === MANAGEMENT_RESOURCE).flatMap((g) => g.scopes))].sort();
}

/**
 * The management scopes of `grants` that a caller holding `held` lacks, sorted; empty when the caller may
 * confer these grants (create, change) or act for a credential holding them (rotate, setup code, add a key).
 */
export function authorityShortfall(held: ReadonlySet<string>, grants: readonly Grant[]): string[] {
  return managementScopesOf(grants).filter((s) => !held.has(s));
}

const REFUSALS = {
  grant: "You can grant only the management scopes you hold yourself.",
  actFor:
    "This credential holds management scopes you do not hold: only a caller holding all of them can give it a new secret, key or setup code.",
  guard:
    "This credential holds management scopes you do not hold: only a caller holding all of them can change its network allow-list or quotas.",
} as const;

/**
 * Throws 403 problem+json (with the `missing_scopes`) unless `held` covers every management scope of
 * `grants`: `grant` when conferring them, `actFor` when provisioning an authenticator for their holder,
 * `guard` when changing its guardrails (loosening them could free a more powerful credential's reach).
 */
export function assertAuthority(held: ReadonlySet<string>, grants: readonly Grant[], act: keyof typeof REFUSALS): void {
  const missing = authorityShortfall(held, grants);
  if (missing.length > 0) throw new ProblemError("forbidden", REFUSALS[act], { missingScopes: missing });
}
