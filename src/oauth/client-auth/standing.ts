/**
 * What every client authentication method shares: the one invalid_client failure (a Basic challenge only for
 * client_secret_basic, RFC 6749 section 5.2), and the checks that follow a matching secret or key: the
 * credential's status and the KV revocation list, which refuses revoked credentials and retired authenticators
 * at the edge before D1 replicas catch up.
 */
import { credentialStatus } from "../../domain/credential-rules";
import { invalidClient, type OAuthError } from "../../domain/errors";
import type { CredentialWithSecrets, LoadedClient } from "../../services/client-lookup";
import type { PresentedCredentials } from "./presented";

/** invalid_client with a private reason for the log. */
export const failure = (reason: string, presented: PresentedCredentials): OAuthError =>
  invalidClient(reason, presented.method === "client_secret_basic");

/** Throws invalid_client unless the credential is active and neither it nor `authenticatorId` is revoked in KV. */
export function assertInGoodStanding(
  client: LoadedClient & { found: CredentialWithSecrets },
  authenticatorId: string,
  nowMs: number,
  presented: PresentedCredentials,
): void {
  if (credentialStatus(client.found.credential, nowMs) !== "active") throw failure("credential not active", presented);
  const { revocation } = client;
  if (revocation && (revocation.revoked || revocation.retired.includes(authenticatorId))) {
    throw failure("revoked per KV revocation list", presented);
  }
}
