/**
 * An isolate-local cache of what the token endpoint needs to authenticate a client (the credential and
 * its unretired secret hashes and public keys), so a busy client costs one D1 read per 30 s per isolate, not one per mint.
 * Admin changes made in this isolate drop the entry at once; other isolates see them through the KV
 * revocation list, checked on every mint, and within the TTL at worst.
 */
import type { CredentialWithSecrets } from "../storage/credentials";

const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

const entries = new Map<string, { value: CredentialWithSecrets; fetchedAt: number }>();

/**
 * The cached entry, or the loader's answer (cached when found; unknown clients are never cached).
 * `changedAt` is when an admin last changed the credential (from the KV entry): an older copy is reloaded.
 */
export async function cachedCredential(
  clientId: string,
  nowMs: number,
  changedAt: number,
  load: () => Promise<CredentialWithSecrets | null>,
): Promise<CredentialWithSecrets | null> {
  const hit = entries.get(clientId);
  if (hit && nowMs - hit.fetchedAt < TTL_MS && hit.fetchedAt <= nowMs && hit.fetchedAt > changedAt) return hit.value;
  const value = await load();
  entries.delete(clientId);
  if (value) {
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    entries.set(clientId, { value, fetchedAt: nowMs });
  }
  return value;
}

/** Forgets a client after an admin change in this isolate. */
export function forgetCredential(clientId: string): void {
  entries.delete(clientId);
}
