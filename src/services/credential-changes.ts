/**
 * Propagating an admin change to the token endpoint everywhere: drop this isolate's cached copy at once,
 * and write the credential's KV revocation entry (retired secrets, keys and deleted federated identities) from
 * the D1 primary. Every mint reads that entry, so a revocation or retired secret stops minting here at once
 * and at other locations as KV propagates; its
 * updatedAt also tells other isolates that their cached copy of the credential is stale.
 * D1 is the source of truth and the change is already committed when this runs, so it never throws: a
 * failed publish is logged, retried in the background (waitUntil) and reconciled by the hourly cron
 * (credentials.changed_at ahead of published_at), while this isolate keeps refusing what was revoked.
 */
import type { Background, RequestContext } from "../context";
import { listKeys } from "../storage/client-keys";
import { markPublished } from "../storage/credential-sync";
import { getCredential } from "../storage/credentials";
import { listSecrets } from "../storage/credential-secrets";
import { deletedFederatedIdentities } from "../storage/federated-identities";
import { pinRevocation, writeRevocation, type RevocationEntry } from "../storage/revocation-list";
import { forgetCredential } from "./credential-cache";
import { forgetFederatedRules } from "./federated-rule-cache";

/** Retired ids older than this are dropped from the KV entry: every cache and replica has caught up by then. */
export const RETIRED_MEMORY_MS = 86_400_000;
/** Delays of the background retries of a failed publish: all within waitUntil's 30 s. */
const RETRY_DELAYS_MS = [200, 1_000, 5_000];

/** What publishing reads and writes: the D1 primary, the KV revocation list and the logger. */
export type PublishDeps = Pick<RequestContext, "db" | "revocations" | "log">;

export interface PublishOptions {
  /** Where failed publishes are retried after the response; without one (the cron) the next run catches up. */
  background?: Background;
  /** What the change itself made known (a revocation, retired ids): used in this isolate if D1 cannot be read back. */
  hint?: { revoked?: boolean; retired?: string[] };
}

/** The entry as the D1 primary has it now; null when the credential does not exist. */
async function entryFromD1(
  db: PublishDeps["db"],
  tenantId: string,
  credentialId: string,
  nowMs: number,
): Promise<{ entry: RevocationEntry; changedAt: number } | null> {
  const [credential, secrets, keys, deletedRules] = await Promise.all([
    getCredential(db, tenantId, credentialId),
    listSecrets(db, tenantId, credentialId),
    listKeys(db, tenantId, credentialId),
    deletedFederatedIdentities(db, tenantId, credentialId),
  ]);
  if (!credential) return null;
  const retired = [...secrets, ...keys, ...deletedRules]
    .filter((s) =>
      s.retiredAt !== null ? s.retiredAt > nowMs - RETIRED_MEMORY_MS : s.expiresAt !== null && s.expiresAt <= nowMs,
    )
    .map((s) => s.id);
  return {
    entry: { revoked: credential.status === "revoked", retired, updatedAt: nowMs },
    changedAt: credential.changedAt ?? credential.createdAt,
  };
}

/** One attempt: D1 read, KV write, then published_at. Throws on failure (after pinning what it knows here). */
async function publishOnce(
  deps: PublishDeps,
  tenantId: string,
  credentialId: string,
  nowMs: number,
  hint: PublishOptions["hint"],
): Promise<void> {
  let read: Awaited<ReturnType<typeof entryFromD1>>;
  try {
    read = await entryFromD1(deps.db, tenantId, credentialId, nowMs);
  } catch (err) {
    pinRevocation(
      credentialId,
      { revoked: hint?.revoked ?? false, retired: hint?.retired ?? [], updatedAt: nowMs },
      nowMs,
    );
    throw err;
  }
  if (!read) return;
  await writeRevocation(deps.revocations, credentialId, read.entry, nowMs);
  await markPublished(deps.db, credentialId, read.changedAt, nowMs);
}

/**
 * Publishes a committed change of a credential. Never throws: a failure is logged (no secrets) and retried
 * in the background when a `background` is given; the cron catches up whatever is still behind.
 * Resolves true when the change reached KV.
 */
export async function publishCredentialChange(
  deps: PublishDeps,
  tenantId: string,
  credentialId: string,
  nowMs: number,
  opts: PublishOptions = {},
): Promise<boolean> {
  forgetCredential(credentialId);
  forgetFederatedRules(credentialId);
  try {
    await publishOnce(deps, tenantId, credentialId, nowMs, opts.hint);
    return true;
  } catch (err) {
    deps.log.error("publish_change_failed", { credential: credentialId, attempt: 0, error: String(err) });
    opts.background?.(retryInBackground(deps, tenantId, credentialId, opts.hint));
    return false;
  }
}

async function retryInBackground(
  deps: PublishDeps,
  tenantId: string,
  credentialId: string,
  hint: PublishOptions["hint"],
): Promise<void> {
  for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      await publishOnce(deps, tenantId, credentialId, Date.now(), hint);
      deps.log.info("publish_change_retried", { credential: credentialId, attempt: i + 1 });
      return;
    } catch (err) {
      deps.log.error("publish_change_failed", { credential: credentialId, attempt: i + 1, error: String(err) });
    }
  }
}
