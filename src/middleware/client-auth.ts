/**
 * Client authentication for the token endpoint: client secrets and private_key_jwt. Every failure (unknown
 * client, wrong secret or key, bad assertion, retired or expired secret or key, revoked or expired credential)
 * ends in the same invalid_client; the reason is logged.
 * The presented secret is hashed whether or not the client exists, so timing does not reveal which ids exist.
 */
import { getConfig, type Env } from "../config";
import { credentialStatus, isLive } from "../domain/credential-rules";
import { invalidClient } from "../domain/errors";
import { isClientIdShape, isWellFormedSecret, keyedHash } from "../crypto/secrets";
import { freshCredential, hasCachedCredential, rememberCredential } from "../services/credential-cache";
import { matchSecret, type SecretRehash } from "../services/pepper-rotation";
import { ASSERTION_CLOCK_SKEW_SECONDS, peekAssertion, verifyClientAssertion } from "../crypto/client-assertion";
import { rememberAssertion } from "../durable-objects/assertion-replay";
import { findForAuthentication, type CredentialWithSecrets } from "../storage/credentials";
import { primaryDb, replicaDb } from "../storage/db";
import { readRevocation, type RevocationEntry } from "../storage/revocation-list";
import type { CredentialRow, CredentialSecretRow } from "../storage/schema";
import type { PresentedCredentials } from "./client-credentials";

export interface AuthenticatedClient {
  credential: CredentialRow;
  /** The secret (or key) that authenticated, for per-secret and per-key last-used times. */
  authenticatorId: string;
  authenticatorKind: "secret" | "key";
  method: PresentedCredentials["method"];
  /** Set when the secret matched a hash that should be renewed under the current pepper (in the background). */
  secretRehash?: SecretRehash;
}

const DUMMY_HASH = "A".repeat(43);

const failure = (reason: string, presented: PresentedCredentials) => invalidClient(reason, presented.method === "client_secret_basic");

interface LoadedClient {
  found: CredentialWithSecrets | null;
  revocation: RevocationEntry | null;
}

/**
 * A credential changed this recently is read from the D1 primary: a read replica may not have the change yet
 * (a new secret or key, a narrowed grant). Older changes, and unknown clients, are read from a replica.
 */
const REPLICA_LAG_ALLOWANCE_MS = 5 * 60_000;

/**
 * The client as the token endpoint sees it: its KV revocation entry, and the credential from the isolate cache
 * or one D1 read. With nothing cached, the replica read starts alongside the KV read and is used unless KV
 * shows a recent change.
 */
async function loadClient(env: Env, clientId: string, nowMs: number): Promise<LoadedClient> {
  const revocationRead = readRevocation(env.REVOCATIONS, clientId, nowMs);
  const speculative = hasCachedCredential(clientId, nowMs) ? null : findForAuthentication(replicaDb(env.DB), clientId, nowMs);
  speculative?.catch(() => undefined);
  const revocation = await revocationRead;
  const changedAt = revocation?.updatedAt ?? 0;
  const cached = freshCredential(clientId, nowMs, changedAt);
  if (cached) return { found: cached, revocation };
  const found =
    nowMs - changedAt < REPLICA_LAG_ALLOWANCE_MS
      ? await findForAuthentication(primaryDb(env.DB), clientId, nowMs)
      : await (speculative ?? findForAuthentication(replicaDb(env.DB), clientId, nowMs));
  rememberCredential(clientId, found, nowMs);
  return { found, revocation };
}

/** The checks every method shares once the secret or key matched: credential status and the KV revocation list. */
function assertInGoodStanding(client: LoadedClient & { found: CredentialWithSecrets }, authenticatorId: string, nowMs: number, presented: PresentedCredentials): void {
  if (credentialStatus(client.found.credential, nowMs) !== "active") throw failure("credential not active", presented);
  const { revocation } = client;
  if (revocation && (revocation.revoked || revocation.retired.includes(authenticatorId))) {
    throw failure("revoked per KV revocation list", presented);
  }
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
  const [presentedHash, client] = await Promise.all([keyedHash(getConfig(env).secretPepper, secret), loadClient(env, clientId, nowMs)]);
  const { found } = client;
  // Every stored hash is compared (a decoy when the client is unknown), so the work does not depend on which matches.
  const candidates: Pick<CredentialSecretRow, "id" | "secretHash" | "pepperId" | "retiredAt" | "expiresAt">[] = found?.secrets ?? [
    { id: "", secretHash: DUMMY_HASH, pepperId: null, retiredAt: null, expiresAt: null },
  ];
  const { matched, rehash } = await matchSecret(getConfig(env), clientId, candidates, secret, presentedHash);
  if (!found || !matched) throw failure(found ? "wrong secret" : "unknown client", presented);
  if (!isLive(matched, nowMs)) throw failure("secret retired or expired", presented);
  assertInGoodStanding({ ...client, found }, matched.id, nowMs, presented);
  return { credential: found.credential, authenticatorId: matched.id, authenticatorKind: "secret", method: presented.method, secretRehash: rehash };
}

/**
 * Authenticates a private_key_jwt request (RFC 7523 sections 2.2 and 3, RFC 10070). The assertion's `iss` names the
 * client (a body client_id must agree), its `kid` (when present) one of the credential's keys, whose stored
 * alg is the only one accepted. An unknown client or kid is verified against a decoy key, so both cost the same. The
 * jti goes to the client's replay object last, once everything else holds.
 */
export async function authenticateWithKey(
  env: Env,
  presented: Extract<PresentedCredentials, { assertion: string }>,
  nowMs: number,
): Promise<AuthenticatedClient> {
  const hints = peekAssertion(presented.assertion);
  const clientId = hints?.iss;
  if (!hints || !clientId || !isClientIdShape(clientId)) throw failure("assertion unreadable or iss not a client id", presented);
  if (presented.clientId !== undefined && presented.clientId !== clientId) throw failure("client_id differs from assertion iss", presented);
  const client = await loadClient(env, clientId, nowMs);
  const { found } = client;
  // RFC 7523 does not require a kid: without one, each live key of the assertion's algorithm is tried.
  const candidates =
    found?.keys.filter((k) => k.alg === hints.alg && (hints.kid === undefined ? isLive(k, nowMs) : k.thumbprint === hints.kid)) ?? [];
  const expectations = { clientId, issuer: getConfig(env).issuer, nowMs };
  // An unknown client or kid is verified against a decoy (null), so it costs what a real key does.
  let verdict: Awaited<ReturnType<typeof verifyClientAssertion>> = { ok: false, reason: "no candidate key" };
  let key: (typeof candidates)[number] | null = null;
  for (const candidate of candidates.length > 0 ? candidates : [null]) {
    verdict = await verifyClientAssertion(presented.assertion, candidate, expectations);
    if (verdict.ok) {
      key = candidate;
      break;
    }
  }
  if (!verdict.ok) throw failure(verdict.reason, presented);
  if (!found || !key) throw failure("unknown client or kid", presented);
  if (!isLive(key, nowMs)) throw failure("key retired or expired", presented);
  assertInGoodStanding({ ...client, found }, key.id, nowMs, presented);
  const keepUntil = verdict.expMs + ASSERTION_CLOCK_SKEW_SECONDS * 1000;
  if (!(await rememberAssertion(env.ASSERTION_REPLAY, clientId, verdict.jti, keepUntil))) throw failure("assertion jti replayed", presented);
  return { credential: found.credential, authenticatorId: key.id, authenticatorKind: "key", method: presented.method };
}

/** Authenticates whichever method the request presented. */
export async function authenticateClient(env: Env, presented: PresentedCredentials, nowMs: number): Promise<AuthenticatedClient> {
  if (presented.method === "private_key_jwt") return authenticateWithKey(env, presented, nowMs);
  return authenticateWithSecret(env, presented, nowMs);
}
