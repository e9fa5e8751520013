/**
 * Whether a verified subject token satisfies a federated identity's conditions: its `aud`, its `sub` and each
 * claim condition, an exact value or a glob where `*` matches any run of characters (GitHub subjects such as
 * `repo:acme/api:ref:refs/heads/*`). Values compare as strings; a claim that is missing, an object or an
 * array fails. Pure: the exchange and the admin's dry run use the same function, so they cannot disagree.
 */
import type { FederatedRule } from "./federation-rules";

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "s");
}

/** True when `value` equals `pattern`, or matches it where the pattern has `*`. */
export function matchesCondition(pattern: string, value: unknown): boolean {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return false;
  const text = String(value);
  return pattern.includes("*") ? globToRegExp(pattern).test(text) : pattern === text;
}

/** RFC 7519 section 4.1.3: `aud` is one string or an array of them; it must contain `audience`. */
export function audienceContains(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** The first condition of `rule` the claims fail (`aud`, `sub` or `claim <name>`), or null when all hold. */
export function failedCondition(
  rule: Pick<FederatedRule, "audience" | "subject" | "claims">,
  claims: Record<string, unknown>,
): string | null {
  if (!audienceContains(claims.aud, rule.audience)) return "aud";
  if (rule.subject !== null && !matchesCondition(rule.subject, claims.sub)) return "sub";
  for (const [name, pattern] of Object.entries(rule.claims)) {
    if (!Object.hasOwn(claims, name) || !matchesCondition(pattern, claims[name])) return `claim ${name}`;
  }
  return null;
}
