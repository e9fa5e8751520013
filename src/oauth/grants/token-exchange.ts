/**
 * The token-exchange grant (RFC 8693) for federated workload identities: a job trades the OIDC token its
 * platform gave it for a Latchkey access token of the credential whose federated identity trusts it. The
 * subject token was verified as the client authentication (client-auth/subject-token.ts); what remains is the
 * client_credentials issuance itself (audience, scopes, signing), so every step added there applies here
 * too, with the lifetime capped by the identity's max_token_lifetime.
 */
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../domain/errors";
import type { AuthenticatedClient } from "../client-auth";
import { clientCredentials } from "./client-credentials";
import type { Grant, GrantDeps, IssuedToken } from "./types";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** RFC 8693 section 3: the one token type Latchkey issues. */
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

async function exchange(
  deps: GrantDeps,
  client: AuthenticatedClient,
  params: Map<string, string>,
  nowMs: number,
): Promise<IssuedToken> {
  const requested = params.get("requested_token_type");
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE)
    throw new OAuthError("invalid_request", D.unsupportedRequestedTokenType);
  const cap = client.federated?.maxTokenLifetime ?? null;
  const lifetime = client.credential.tokenLifetime ?? deps.config.tokenLifetimeSeconds;
  const credential = { ...client.credential, tokenLifetime: cap === null ? lifetime : Math.min(cap, lifetime) };
  const issued = await clientCredentials.handler(deps, { ...client, credential }, params, nowMs);
  return { ...issued, issuedTokenType: ACCESS_TOKEN_TYPE };
}

export const tokenExchange: Grant = {
  grantType: TOKEN_EXCHANGE_GRANT,
  parameters: ["subject_token", "subject_token_type", "requested_token_type", "resource", "audience", "scope"],
  clientAuth: ["subject_token"],
  handler: exchange,
};
