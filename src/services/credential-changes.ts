/**
 * Propagating an admin change to the token endpoint everywhere: drop this isolate's cached copy at once,
 * and write the credential's KV revocation entry (retired secrets and keys) from the D1 primary. Every mint reads that entry, so a
 * revocation or retired secret stops minting here at once and at other locations as KV propagates; its
 * updatedAt also tells other isolates that their cached copy of the credential is stale.
 */
import type { Env } from "../config";
import { listKeys } from "../storage/client-keys";
import { listSecrets, getCredential } from "../storage/credentials";
import { primaryDb } from "../storage/db";
import { writeRevocation } from "../storage/revocation-list";
import { forgetCredential } from "./credential-cache";

/** Retired ids older than this are dropped from the KV entry: every cache and replica has caught up by then. */
const RETIRED_MEMORY_MS = 86_400_000;

export async function publishCredentialChange(env: Env, tenantId: string, credentialId: string, nowMs: number): Promise<void> {
  forgetCredential(credentialId);
  const db = primaryDb(env.DB);
  const [credential, secrets, keys] = await Promise.all([
    getCredential(db, tenantId, credentialId),
    listSecrets(db, tenantId, credentialId),
    listKeys(db, tenantId, credentialId),
  ]);
  if (!credential) return;
  const retired = [...secrets, ...keys]
    .filter((s) => (s.retiredAt !== null && s.retiredAt > nowMs - RETIRED_MEMORY_MS) || (s.expiresAt !== null && s.expiresAt <= nowMs))
    .map((s) => s.id);
  await writeRevocation(env.REVOCATIONS, credentialId, {
    revoked: credential.status === "revoked",
    retired,
    updatedAt: nowMs,
  });
}
