/**
 * The client as client authentication sees it: its KV revocation entry, and the credential (with its unretired
 * secret hashes and public keys) from the isolate cache or one D1 read. With nothing cached, the replica read
 * starts alongside the KV read (speculatively) and is used unless KV shows a change younger than the replica
 * lag allowance, which sends the read to the primary. Unknown clients are read every time, never cached.
 */
import type { RequestContext } from "../context";
import { findForAuthentication, type CredentialWithSecrets } from "../storage/credentials";
import { readRevocation, type RevocationEntry } from "../storage/revocation-list";
import { REPLICA_LAG_ALLOWANCE_MS } from "../tunables";
import { freshCredential, hasCachedCredential, rememberCredential } from "./isolate-caches";

export type { CredentialWithSecrets, RevocationEntry };

/** What the lookup reads: D1 (primary and replica) and the KV revocation list. */
export type ClientLookupDeps = Pick<RequestContext, "db" | "replica" | "revocations">;

export interface LoadedClient {
  found: CredentialWithSecrets | null;
  revocation: RevocationEntry | null;
}

/** Loads `clientId` for authentication at `nowMs`: one KV read (memoised) and at most one D1 read. */
export async function loadClient(deps: ClientLookupDeps, clientId: string, nowMs: number): Promise<LoadedClient> {
  const revocationRead = readRevocation(deps.revocations, clientId, nowMs);
  const speculative = hasCachedCredential(clientId, nowMs)
    ? null
    : findForAuthentication(deps.replica(), clientId, nowMs);
  speculative?.catch(() => undefined);
  const revocation = await revocationRead;
  const changedAt = revocation?.updatedAt ?? 0;
  const cached = freshCredential(clientId, nowMs, changedAt);
  if (cached) return { found: cached, revocation };
  const found =
    nowMs - changedAt < REPLICA_LAG_ALLOWANCE_MS
      ? await findForAuthentication(deps.db, clientId, nowMs)
      : await (speculative ?? findForAuthentication(deps.replica(), clientId, nowMs));
  rememberCredential(clientId, found, nowMs);
  return { found, revocation };
}
