/**
 * The client_credentials grant (RFC 6749 section 4.4) once the client is authenticated: choose the
 * audience (RFC 8707 `resource`, or its alias `audience`) and the scopes from what the credential holds,
 * then sign an RFC 9068 access token with the current key of the credential's tenant, as that tenant's issuer.
 */
import { signAccessToken } from "../../crypto/access-token";
import { randomToken } from "../../crypto/encoding";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../domain/errors";
import { isValidResourceUri, parseScopeParam, selectGrant } from "../../domain/scopes";
import { issuerFor } from "../../domain/realms";
import { buildAccessTokenClaims } from "../../domain/token-claims";
import { keyRing } from "../../services/isolate-caches";
import { CLIENT_AUTH_METHOD_NAMES, type AuthenticatedClient } from "../client-auth";
import type { Grant, GrantDeps, IssuedToken } from "./types";

/** The requested audience: `resource`, or `audience` as an alias; both must agree when both are sent. */
function requestedResource(params: Map<string, string>): string | undefined {
  const resource = params.get("resource");
  const audience = params.get("audience");
  if (resource !== undefined && audience !== undefined && resource !== audience) {
    throw new OAuthError("invalid_target", D.resourceAndAudience);
  }
  const value = resource ?? audience;
  if (value !== undefined && !isValidResourceUri(value)) throw new OAuthError("invalid_target", D.invalidResource);
  return value;
}

function requestedScopes(params: Map<string, string>): string[] | undefined {
  const scope = params.get("scope");
  if (scope === undefined) return undefined;
  const scopes = parseScopeParam(scope);
  if (!scopes) throw new OAuthError("invalid_scope", D.malformedScope);
  return scopes;
}

/**
 * Issues an access token for a credential authenticated by `authenticatorId` (a secret or key id, which
 * management tokens carry), or throws invalid_target / invalid_scope.
 */
async function issueClientCredentialsToken(
  deps: GrantDeps,
  { credential, authenticatorId }: AuthenticatedClient,
  params: Map<string, string>,
  nowMs: number,
): Promise<IssuedToken> {
  const { config } = deps;
  const selection = selectGrant(credential.grants, requestedResource(params), requestedScopes(params));
  if (!selection.ok) {
    const description = selection.error === "invalid_target" ? D.resourceNotGranted : D.scopeNotGranted;
    throw new OAuthError(selection.error, description);
  }
  const expiresIn = credential.tokenLifetime ?? config.tokenLifetimeSeconds;
  const claims = buildAccessTokenClaims({
    issuer: issuerFor(config, credential.tenantId),
    clientId: credential.id,
    label: credential.label,
    tenantId: credential.tenantId,
    groups: credential.groups,
    resource: selection.resource,
    scopes: selection.scopes,
    lifetimeSeconds: expiresIn,
    jti: randomToken(16),
    authenticatorId,
    nowMs,
  });
  // The credential's tenant's ring: a key of one tenant never signs another's tokens. The proof's binding goes
  // with it, or a DPoP response would carry an unbound token (RFC 9449 section 6).
  const { signer } = await keyRing(
    { db: deps.db, config, realm: credential.tenantId, tokenBinding: deps.tokenBinding },
    nowMs,
  );
  return { accessToken: await signAccessToken(claims, signer), claims, expiresIn };
}

export const clientCredentials: Grant = {
  grantType: "client_credentials",
  parameters: ["resource", "audience", "scope"],
  clientAuth: CLIENT_AUTH_METHOD_NAMES,
  handler: issueClientCredentialsToken,
};
