/**
 * Deciding whether a subject token proves a federated identity of a credential (RFC 8693 token exchange):
 * the credential in good standing, its rules for the token's `iss`, the issuer's keys (refetched once on an
 * unknown kid), one signature check, then each rule's audience, subject and claim conditions, and last the
 * token's `jti`, single use per identity. The exchange and the admin's dry run share `evaluateSubjectToken`,
 * so a dry run reports exactly what an exchange would decide (without consuming the jti). Every refusal
 * carries a reason for the log; the caller answers one fixed error whatever it is.
 */
import type { RequestContext } from "../context";
import { peekSubjectToken, type SubjectTokenVerdict, verifySubjectToken } from "../crypto/subject-token";
import { credentialStatus } from "../domain/credential-rules";
import { failedCondition } from "../domain/federation-match";
import { rulesForExchange } from "../storage/federated-identities";
import type { CredentialRow, FederatedIdentityRow } from "../storage/schema";
import { REPLICA_LAG_ALLOWANCE_MS } from "../tunables";
import { loadClient, type ClientLookupDeps } from "./client-lookup";
import { freshFederatedRules, issuerKeySet, rememberFederatedRules } from "./isolate-caches";
import { acceptSubjectTokenOnce } from "./replay-guard";

/** What an exchange reads: the client lookup's stores, configuration and the replay objects. */
export type ExchangeDeps = ClientLookupDeps & Pick<RequestContext, "config" | "assertionReplay" | "realm">;

/** A refused exchange; `reason` is for the log only. */
export class ExchangeRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface SubjectTokenEvaluation {
  /** The first rule the token satisfies, with the verified claims. */
  matched: { identity: FederatedIdentityRow; verdict: Extract<SubjectTokenVerdict, { ok: true }> } | null;
  /** Why the token as a whole failed (unreadable, no rule for its issuer, keys, signature, times), if it did. */
  tokenProblem: string | null;
  /** Per rule of the token's issuer: the condition it failed, or null for the one that matched. */
  rules: { identity: FederatedIdentityRow; failed: string | null }[];
  /** The verified claims, when the signature and times held. */
  claims: Record<string, unknown> | null;
}

/** Verifies `token` and matches it against `rules` at `nowMs`; consumes nothing. */
export async function evaluateSubjectToken(
  latchkeyIssuer: string,
  rules: readonly FederatedIdentityRow[],
  token: string,
  nowMs: number,
): Promise<SubjectTokenEvaluation> {
  const none = (tokenProblem: string): SubjectTokenEvaluation => ({
    matched: null,
    tokenProblem,
    rules: [],
    claims: null,
  });
  const hints = peekSubjectToken(token);
  if (!hints) return none("subject token is not a JWT with a string iss");
  const candidates = rules.filter((r) => r.issuer === hints.iss);
  if (candidates.length === 0) return none("no federated identity of this credential trusts the token's iss");
  let keys = await issuerKeySet(hints.iss, latchkeyIssuer, nowMs);
  if (!keys.ok) return none(keys.reason);
  let verdict = await verifySubjectToken(token, keys.keySet, { issuer: hints.iss, nowMs });
  if (!verdict.ok && verdict.unknownKid) {
    keys = await issuerKeySet(hints.iss, latchkeyIssuer, nowMs, true);
    if (!keys.ok) return none(keys.reason);
    verdict = await verifySubjectToken(token, keys.keySet, { issuer: hints.iss, nowMs });
  }
  if (!verdict.ok) return none(verdict.reason);
  const results = candidates.map((identity) => ({ identity, failed: failedCondition(identity, verdict.claims) }));
  const hit = results.find((r) => r.failed === null);
  return {
    matched: hit ? { identity: hit.identity, verdict } : null,
    tokenProblem: null,
    rules: results,
    claims: verdict.claims,
  };
}

/** The credential's live rules, cached per isolate; read from the primary while a change is recent. */
async function rulesOf(deps: ExchangeDeps, credentialId: string, changedAt: number, nowMs: number) {
  const cached = freshFederatedRules(credentialId, nowMs, changedAt);
  if (cached) return cached;
  const db = nowMs - changedAt < REPLICA_LAG_ALLOWANCE_MS ? deps.db : deps.replica();
  const rules = await rulesForExchange(db, credentialId);
  rememberFederatedRules(credentialId, rules, nowMs);
  return rules;
}

export interface FederatedClient {
  credential: CredentialRow;
  identity: FederatedIdentityRow;
  /** The subject token's `sub` (for the mint log and usage); empty when it has none. */
  subject: string;
}

/** Authenticates `clientId` by `token` at `nowMs`, or throws ExchangeRefused with the reason. */
export async function exchangeSubjectToken(
  deps: ExchangeDeps,
  clientId: string,
  token: string,
  nowMs: number,
): Promise<FederatedClient> {
  const { found, revocation } = await loadClient(deps, clientId, nowMs);
  if (!found) throw new ExchangeRefused("unknown client");
  if (credentialStatus(found.credential, nowMs) !== "active" || revocation?.revoked)
    throw new ExchangeRefused("credential not active");
  // Before the subject token is looked at, so one sent to the wrong tenant's endpoint keeps its jti unspent.
  if (found.credential.tenantId !== deps.realm) throw new ExchangeRefused("credential of another tenant's realm");
  const rules = await rulesOf(deps, clientId, revocation?.updatedAt ?? 0, nowMs);
  const evaluation = await evaluateSubjectToken(deps.config.issuer, rules, token, nowMs);
  const { matched } = evaluation;
  if (!matched) {
    const failed = evaluation.rules.map((r) => `${r.identity.id}: ${r.failed}`).join("; ");
    throw new ExchangeRefused(evaluation.tokenProblem ?? `no rule matched (${failed})`);
  }
  const { identity, verdict } = matched;
  if (revocation?.retired.includes(identity.id)) throw new ExchangeRefused("federated identity deleted (KV)");
  if (verdict.jti !== undefined && !(await acceptSubjectTokenOnce(deps, identity.id, verdict.jti, verdict.keepUntilMs)))
    throw new ExchangeRefused("subject token jti replayed");
  const sub = verdict.claims.sub;
  return { credential: found.credential, identity, subject: typeof sub === "string" ? sub.slice(0, 256) : "" };
}
