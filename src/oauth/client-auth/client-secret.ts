/**
 * client_secret_basic and client_secret_post (RFC 6749 section 2.3.1): the presented secret's keyed hash is
 * compared with every stored hash of the client. The checksum refuses typos and random strings before any
 * read; a client already in the isolate cache needs no read, so there it is checked only when no hash matches
 * (a matching hash is a secret Latchkey minted). The hash is computed, and a decoy compared, whether or not
 * the client exists, so timing does not reveal which ids exist. During a pepper rotation a match under the previous pepper asks for a renewal.
 */
import { hasSecretShape, isClientIdShape, isWellFormedSecret, keyedHash } from "../../crypto/secrets";
import { isLive } from "../../domain/credential-rules";
import { loadClient } from "../../services/client-lookup";
import { hasCachedCredential } from "../../services/isolate-caches";
import { matchSecret } from "../../services/pepper-rotation";
import type { CredentialSecretRow } from "../../storage/schema";
import type { PresentedCredentials } from "./presented";
import { assertInGoodStanding, failure } from "./standing";
import type { AuthenticatedClient, ClientAuthDeps, ClientAuthMethod } from "./types";

const DUMMY_HASH = "A".repeat(43);

/** Authenticates a client_secret_basic or client_secret_post request. */
async function authenticateWithSecret(
  deps: ClientAuthDeps,
  presented: Extract<PresentedCredentials, { secret: string }>,
  nowMs: number,
): Promise<AuthenticatedClient> {
  const { clientId, secret } = presented;
  if (!isClientIdShape(clientId) || !hasSecretShape(secret)) throw failure("malformed id or secret", presented);
  const checksumFirst = !hasCachedCredential(clientId, nowMs);
  if (checksumFirst && !(await isWellFormedSecret(secret))) throw failure("malformed id or secret", presented);
  const [presentedHash, client] = await Promise.all([
    keyedHash(deps.config.secretPepper, secret),
    loadClient(deps, clientId, nowMs),
  ]);
  const { found } = client;
  // Every stored hash is compared (a decoy when the client is unknown), so the work does not depend on which matches.
  const candidates: Pick<CredentialSecretRow, "id" | "secretHash" | "pepperId" | "retiredAt" | "expiresAt">[] =
    found?.secrets ?? [{ id: "", secretHash: DUMMY_HASH, pepperId: null, retiredAt: null, expiresAt: null }];
  const { matched, rehash } = await matchSecret(deps.config, clientId, candidates, secret, presentedHash);
  if (!checksumFirst && !matched && !(await isWellFormedSecret(secret)))
    throw failure("malformed id or secret", presented);
  if (!found || !matched) throw failure(found ? "wrong secret" : "unknown client", presented);
  if (!isLive(matched, nowMs)) throw failure("secret retired or expired", presented);
  assertInGoodStanding({ ...client, found }, matched.id, nowMs, presented);
  return {
    credential: found.credential,
    authenticatorId: matched.id,
    authenticatorKind: "secret",
    method: presented.method,
    secretRehash: rehash,
  };
}

/** RFC 6749 section 2.3.1: the client_id and secret in HTTP Basic, form-urlencoded first. */
export const clientSecretBasic: ClientAuthMethod<"client_secret_basic"> = {
  name: "client_secret_basic",
  authenticate: authenticateWithSecret,
};

/** RFC 6749 section 2.3.1: client_id and client_secret in the request body. */
export const clientSecretPost: ClientAuthMethod<"client_secret_post"> = {
  name: "client_secret_post",
  authenticate: authenticateWithSecret,
};
