/**
 * An isolate-local cache of each credential's federated identities, read only by token exchanges, so a busy
 * workload costs one D1 read per CREDENTIAL_CACHE_TTL_MS per isolate. Like the credential cache, an admin change
 * in this isolate drops the entry at once, and other isolates see it through the KV revocation entry: an entry
 * fetched before its updatedAt is stale, and a deleted rule's id is in its retired list meanwhile.
 */
import type { FederatedIdentityRow } from "../storage/schema";
import { FEDERATED_RULES_MAX_ENTRIES as MAX_ENTRIES, CREDENTIAL_CACHE_TTL_MS as TTL_MS } from "../tunables";

const entries = new Map<string, { rules: FederatedIdentityRow[]; fetchedAt: number }>();

/** The cached rules of `credentialId` when younger than the TTL and fetched after `changedAt`. */
export function freshFederatedRules(
  credentialId: string,
  nowMs: number,
  changedAt: number,
): FederatedIdentityRow[] | undefined {
  const hit = entries.get(credentialId);
  return hit && hit.fetchedAt <= nowMs && nowMs - hit.fetchedAt < TTL_MS && hit.fetchedAt > changedAt
    ? hit.rules
    : undefined;
}

/** Caches the rules just read from D1. */
export function rememberFederatedRules(credentialId: string, rules: FederatedIdentityRow[], nowMs: number): void {
  entries.delete(credentialId);
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(credentialId, { rules, fetchedAt: nowMs });
}

/** Forgets a credential's rules after an admin change in this isolate. */
export function forgetFederatedRules(credentialId: string): void {
  entries.delete(credentialId);
}
