/**
 * An isolate-local cache of what the token endpoint needs to authenticate a client (the credential and
 * its unretired secret hashes and public keys), so a busy client costs one D1 read per TTL (30 s) per isolate,
 * not one per mint. Admin changes made in this isolate drop the entry at once; other isolates see them
 * through the KV revocation entry, whose `updatedAt` makes any older copy stale.
 */
import type { CredentialWithSecrets } from "../storage/credentials";
import { CREDENTIAL_CACHE_MAX_ENTRIES as MAX_ENTRIES, CREDENTIAL_CACHE_TTL_MS as TTL_MS } from "../tunables";

const entries = new Map<string, { value: CredentialWithSecrets; fetchedAt: number }>();

function youngEntry(clientId: string, nowMs: number) {
  const hit = entries.get(clientId);
  return hit && hit.fetchedAt <= nowMs && nowMs - hit.fetchedAt < TTL_MS ? hit : undefined;
}

/** True when a young entry exists (it may still turn out older than the last admin change). */
export function hasCachedCredential(clientId: string, nowMs: number): boolean {
  return youngEntry(clientId, nowMs) !== undefined;
}

/** The cached entry when it is younger than the TTL and fetched after `changedAt` (the last admin change). */
export function freshCredential(clientId: string, nowMs: number, changedAt: number): CredentialWithSecrets | undefined {
  const hit = youngEntry(clientId, nowMs);
  return hit && hit.fetchedAt > changedAt ? hit.value : undefined;
}

/** Caches what was just read from D1; unknown clients are never cached. */
export function rememberCredential(clientId: string, value: CredentialWithSecrets | null, nowMs: number): void {
  entries.delete(clientId);
  if (!value) return;
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(clientId, { value, fetchedAt: nowMs });
}

/** Forgets a client after an admin change in this isolate. */
export function forgetCredential(clientId: string): void {
  entries.delete(clientId);
}
