/**
 * Creation rules for federated workload identities (trust rules on a credential, RFC 8693 token exchange):
 * the presets and what each pins, the issuer URL policy, and the safety rule that no rule may accept every
 * token of an issuer. Shared issuers (GitHub Actions, gitlab.com) sign tokens for every repository in the
 * world, so a rule for them must pin the immutable numeric ids: names can be renamed or re-created by someone
 * else, ids cannot. Pure: the service applies these before anything is written.
 */

export const FEDERATION_PRESETS = ["github-actions", "gitlab", "kubernetes", "generic"] as const;
export type FederationPreset = (typeof FEDERATION_PRESETS)[number];

/** At most this many federated identities per credential (deleted ones do not count). */
export const MAX_FEDERATED_IDENTITIES = 20;
/** At most this many claim conditions per rule. */
export const MAX_CLAIM_CONDITIONS = 10;

export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
export const GITLAB_COM_ISSUER = "https://gitlab.com";

/** Claims that are checked by the exchange itself and so cannot be conditions. */
const RESERVED_CLAIMS = new Set(["iss", "aud", "exp", "nbf", "iat", "jti", "sub"]);

/** Per shared issuer: the immutable id claims every rule for it must pin exactly. */
const PINNED_IDS: ReadonlyMap<string, readonly string[]> = new Map([
  [GITHUB_ACTIONS_ISSUER, ["repository_owner_id", "repository_id"]],
  [GITLAB_COM_ISSUER, ["namespace_id", "project_id"]],
]);

/**
 * Per preset: the default issuer (null: the admin names it) and the claims it must pin. Another issuer may be
 * named for the github-actions and gitlab presets (GitHub Enterprise Server, self-managed GitLab): the pins stay.
 */
const PRESETS: { readonly [P in FederationPreset]: { issuer: string | null; pins: readonly string[] } } = {
  "github-actions": { issuer: GITHUB_ACTIONS_ISSUER, pins: ["repository_owner_id", "repository_id"] },
  gitlab: { issuer: GITLAB_COM_ISSUER, pins: ["namespace_id", "project_id"] },
  kubernetes: { issuer: null, pins: [] },
  generic: { issuer: null, pins: [] },
};

export interface FederatedIdentityInput {
  preset: FederationPreset;
  issuer?: string;
  audience?: string;
  subject?: string;
  claims: Record<string, string>;
  maxTokenLifetime?: number;
}

export interface FederatedRule {
  preset: FederationPreset;
  issuer: string;
  audience: string;
  subject: string | null;
  claims: Record<string, string>;
  maxTokenLifetime: number | null;
}

const KUBERNETES_SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/** True for a host name that only reaches this machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why `url` may not be an issuer (or a JWKS location), or null when it may: https with a public host name,
 * no credentials, query or fragment; http only for a loopback host while Latchkey itself runs on loopback.
 */
export function issuerUrlProblem(url: string, latchkeyIssuer: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "The issuer must be an absolute URL.";
  }
  if (url.length > 512 || parsed.username || parsed.password || parsed.search || parsed.hash || url.includes("#"))
    return "The issuer URL must have no credentials, query or fragment and at most 512 characters.";
  const local = isLoopbackHost(parsed.hostname);
  if (local) {
    return isLoopbackUrl(latchkeyIssuer)
      ? null
      : "A loopback issuer is accepted only while Latchkey itself runs on loopback.";
  }
  if (parsed.protocol !== "https:") return "The issuer must be an https URL.";
  const host = parsed.hostname;
  if (isIpLiteral(host) || !host.includes(".") || /\.(local|localhost|internal|home\.arpa)$/.test(host))
    return "The issuer must have a public host name.";
  return null;
}

/** True when a condition value is a glob matching every string (`*`, `**`): it pins nothing. */
const matchesEverything = (value: string) => /^\*+$/.test(value);

function conditionProblem(input: FederatedIdentityInput, issuer: string): string | null {
  const names = Object.keys(input.claims);
  if (names.length > MAX_CLAIM_CONDITIONS) return `A rule has at most ${MAX_CLAIM_CONDITIONS} claim conditions.`;
  if (names.some((n) => RESERVED_CLAIMS.has(n)))
    return "iss, aud, sub, exp, nbf, iat and jti cannot be claim conditions (use issuer, audience and subject).";
  const values = [...Object.values(input.claims), ...(input.subject === undefined ? [] : [input.subject])];
  if (values.some(matchesEverything)) return "A condition that matches every value pins nothing.";
  if (input.subject === undefined && names.length === 0)
    return "A rule needs a subject or at least one claim condition: otherwise it accepts every token of its issuer.";
  const pins = new Set([...PRESETS[input.preset].pins, ...(PINNED_IDS.get(issuer) ?? [])]);
  for (const pin of pins) {
    const value = input.claims[pin];
    if (value === undefined || !/^\d{1,20}$/.test(value))
      return `This issuer is shared by everyone: the rule must pin ${[...pins].join(" and ")} (numeric ids).`;
  }
  if (input.preset === "kubernetes" && (input.subject === undefined || !KUBERNETES_SUBJECT.test(input.subject)))
    return "A kubernetes rule's subject is system:serviceaccount:<namespace>:<name>.";
  return null;
}

/**
 * Turns an admin's request into a rule, or returns the fixed-text reason it is refused. `latchkeyIssuer` is
 * Latchkey's own issuer: the default audience, and what decides whether loopback issuers are allowed.
 */
export function buildFederatedRule(
  input: FederatedIdentityInput,
  latchkeyIssuer: string,
): { ok: true; rule: FederatedRule } | { ok: false; problem: string } {
  const preset = PRESETS[input.preset];
  const issuer = input.issuer ?? preset.issuer;
  if (issuer === null || issuer === undefined) return { ok: false, problem: "This preset needs the issuer URL." };
  const urlProblem = issuerUrlProblem(issuer, latchkeyIssuer);
  if (urlProblem) return { ok: false, problem: urlProblem };
  const problem = conditionProblem(input, issuer);
  if (problem) return { ok: false, problem };
  return {
    ok: true,
    rule: {
      preset: input.preset,
      issuer,
      audience: input.audience ?? latchkeyIssuer,
      subject: input.subject ?? null,
      claims: input.claims,
      maxTokenLifetime: input.maxTokenLifetime ?? null,
    },
  };
}
