/**
 * SECRET_PEPPER rotation. Each stored client-secret hash carries the id of the pepper it was made with. While
 * SECRET_PEPPER_PREVIOUS is set, a secret that misses under the current pepper is hashed once more under the
 * previous one (one HMAC, no round trip); a match there is renewed under the current pepper in the token
 * endpoint's background work, at most once per secret per isolate, by an UPDATE guarded on the old hash.
 * Hashes stored before pepper ids existed (null) are labelled the same way on their next use.
 */
import type { Config } from "../config";
import type { RequestContext } from "../context";
import { keyId } from "../crypto/key-id";
import { digestsEqual, keyedHash } from "../crypto/secrets";
import { renewSecretHash } from "../storage/credential-secrets";
import { PEPPER_RENEWALS_MAX_TRACKED as MAX_TRACKED } from "../tunables";
import { forgetCredential } from "./credential-cache";

/** A stored secret hash to replace with the presented secret's hash under the current pepper. */
export interface SecretRehash {
  credentialId: string;
  secretId: string;
  storedHash: string;
  currentHash: string;
}

interface StoredSecret {
  id: string;
  secretHash: string;
  pepperId: string | null;
}

function lastMatch<T extends StoredSecret>(candidates: T[], hash: string): T | undefined {
  let matched: T | undefined;
  for (const candidate of candidates) {
    if (digestsEqual(candidate.secretHash, hash)) matched = candidate;
  }
  return matched;
}

/**
 * The candidate the presented secret matches (every candidate is compared, so the work does not depend on
 * which one matches), and the renewal its hash needs, if any.
 */
export async function matchSecret<T extends StoredSecret>(
  config: Config,
  credentialId: string,
  candidates: T[],
  secret: string,
  currentHash: string,
): Promise<{ matched: T | undefined; rehash?: SecretRehash }> {
  const current = lastMatch(candidates, currentHash);
  if (current) {
    const rehash =
      current.pepperId === null
        ? { credentialId, secretId: current.id, storedHash: current.secretHash, currentHash }
        : undefined;
    return { matched: current, rehash };
  }
  if (!config.secretPepperPrevious) return { matched: undefined };
  const previous = lastMatch(candidates, await keyedHash(config.secretPepperPrevious, secret));
  if (!previous) return { matched: undefined };
  return {
    matched: previous,
    rehash: { credentialId, secretId: previous.id, storedHash: previous.secretHash, currentHash },
  };
}

/** Every hash under `SECRET_PEPPER` and, during a rotation, `SECRET_PEPPER_PREVIOUS`: for lookups of short-lived hashed values. */
export async function acceptedHashes(config: Config, value: string): Promise<string[]> {
  const { secretPepper, secretPepperPrevious } = config;
  const peppers = secretPepperPrevious ? [secretPepper, secretPepperPrevious] : [secretPepper];
  return Promise.all(peppers.map((p) => keyedHash(p, value)));
}

const scheduled = new Set<string>();

/** The background renewal of a secret's hash, or null when this isolate already renewed (or is renewing) it. */
export function renewSecretHashLater(
  deps: Pick<RequestContext, "config" | "db" | "log">,
  rehash: SecretRehash | undefined,
): Promise<void> | null {
  if (!rehash || scheduled.has(rehash.secretId)) return null;
  if (scheduled.size >= MAX_TRACKED) scheduled.clear();
  scheduled.add(rehash.secretId);
  return (async () => {
    const pepperId = await keyId(deps.config.secretPepper);
    if (await renewSecretHash(deps.db, rehash.secretId, rehash.storedHash, rehash.currentHash, pepperId)) {
      forgetCredential(rehash.credentialId);
      deps.log.info("secret_hash_renewed", {
        client_id: rehash.credentialId,
        secret: rehash.secretId,
        pepper_id: pepperId,
      });
    }
  })().catch((err: unknown) => {
    scheduled.delete(rehash.secretId);
    deps.log.error("secret_hash_renew_failed", { secret: rehash.secretId, error: String(err) });
  });
}
