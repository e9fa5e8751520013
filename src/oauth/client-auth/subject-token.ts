/**
 * Authentication by subject token (RFC 8693 section 2.1 with a public client): the request carries only a
 * client_id, and a JWT from an external issuer that one of the credential's federated identities trusts is
 * the proof (services/federated-exchange.ts). Only the token-exchange grant accepts this method. RFC 8693
 * section 2.2.2: an invalid or untrusted subject token is invalid_request; every reason (unknown or revoked
 * client included, so the answer reveals nothing) gets the same fixed description, the reason goes to the log.
 */
import { isClientIdShape } from "../../crypto/secrets";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../domain/errors";
import { ExchangeRefused, exchangeSubjectToken } from "../../services/federated-exchange";
import type { PresentedCredentials } from "./presented";
import type { AuthenticatedClient, ClientAuthDeps, ClientAuthMethod } from "./types";

/** RFC 8693 section 3: the subject token types Latchkey accepts (a JWT; an OIDC ID token is one). */
export const SUBJECT_TOKEN_TYPES: readonly string[] = [
  "urn:ietf:params:oauth:token-type:jwt",
  "urn:ietf:params:oauth:token-type:id_token",
];

const refused = (reason: string) => new OAuthError("invalid_request", D.invalidSubjectToken, { reason });

async function authenticateWithSubjectToken(
  deps: ClientAuthDeps,
  presented: Extract<PresentedCredentials, { method: "subject_token" }>,
  nowMs: number,
): Promise<AuthenticatedClient> {
  const { clientId, subjectToken, subjectTokenType } = presented;
  if (subjectToken === undefined) throw refused("no subject_token");
  if (subjectTokenType === undefined || !SUBJECT_TOKEN_TYPES.includes(subjectTokenType))
    throw refused("missing or unsupported subject_token_type");
  if (!isClientIdShape(clientId)) throw refused("client_id is not shaped like a client id");
  try {
    const { credential, identity, subject } = await exchangeSubjectToken(deps, clientId, subjectToken, nowMs);
    return {
      credential,
      authenticatorId: identity.id,
      authenticatorKind: "federated",
      method: "subject_token",
      federated: { identityId: identity.id, subject, maxTokenLifetime: identity.maxTokenLifetime },
    };
  } catch (err) {
    if (err instanceof ExchangeRefused) throw refused(err.reason);
    throw err;
  }
}

/** client_id plus a subject token an external issuer signed (RFC 8693); the token-exchange grant's only method. */
export const subjectToken: ClientAuthMethod<"subject_token"> = {
  name: "subject_token",
  authenticate: authenticateWithSubjectToken,
};
