/**
 * Client authentication for the token endpoint. Every failure (unknown client, wrong secret, retired or
 * expired secret, revoked or expired credential) ends in the same invalid_client; the reason is logged.
 * The presented secret is hashed whether or not the client exists, so timing does not reveal which ids exist.
 */
import { getConfig, type Env } from "../config";
import { credentialStatus, isLive } from "../domain/credential-rules";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { digestsEqual, isClientIdShape, isWellFormedSecret, keyedHash } from "../crypto/secrets";
import { cachedCredential } from "../services/credential-cache";
import { findForAuthentication } from "../storage/credentials";
import { replicaDb } from "../storage/db";
import { readRevocation } from "../storage/revocation-list";
import type { CredentialRow } from "../storage/schema";
import type { PresentedCredentials } from "./client-credentials";

export interface AuthenticatedClient {
  credential: CredentialRow;
  /** The secret (or key) that authenticated, for per-secret last-used times. */
  authenticatorId: string;
  method: PresentedCredentials["method"];
}

const DUMMY_HASH = "A".repeat(43);

function failure(reason: string, presented: PresentedCredentials): OAuthError {
  const err = new OAuthError("invalid_client", D.invalidClient, reason);
  err.basicChallenge = presented.method === "client_secret_basic";
  return err;
}

/** Authenticates a client_secret_basic or client_secret_post request. */
export async function authenticateWithSecret(
  env: Env,
  presented: Extract<PresentedCredentials, { secret: string }>,
  nowMs: number,
): Promise<AuthenticatedClient> {
  const { clientId, secret } = presented;
  // The checksum refuses typos and random strings before any database read.
  if (!isClientIdShape(clientId) || !(await isWellFormedSecret(secret))) throw failure("malformed id or secret", presented);
  const [presentedHash, revocation] = await Promise.all([
    keyedHash(getConfig(env).secretPepper, secret),
    readRevocation(env.REVOCATIONS, clientId),
  ]);
  const found = await cachedCredential(clientId, nowMs, revocation?.updatedAt ?? 0, () =>
    findForAuthentication(replicaDb(env.DB), clientId),
  );
  let matched: string | undefined;
  for (const candidate of found?.secrets ?? [{ id: "", secretHash: DUMMY_HASH }]) {
    if (digestsEqual(candidate.secretHash, presentedHash)) matched = candidate.id;
  }
  if (!found || !matched) throw failure(found ? "wrong secret" : "unknown client", presented);
  const secretRow = found.secrets.find((s) => s.id === matched);
  if (!secretRow || !isLive(secretRow, nowMs)) throw failure("secret retired or expired", presented);
  if (credentialStatus(found.credential, nowMs) !== "active") throw failure("credential not active", presented);
  if (revocation && (revocation.revoked || revocation.retired.includes(matched))) {
    throw failure("revoked per KV revocation list", presented);
  }
  return { credential: found.credential, authenticatorId: matched, method: presented.method };
}

/** Authenticates whichever method the request presented. */
export async function authenticateClient(env: Env, presented: PresentedCredentials, nowMs: number): Promise<AuthenticatedClient> {
  if (presented.method === "private_key_jwt") throw failure("no credential holds a public key yet", presented);
  return authenticateWithSecret(env, presented, nowMs);
}
