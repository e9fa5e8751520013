/**
 * The client_credentials grant (RFC 6749 section 4.4) once the client is authenticated: choose the
 * audience (RFC 8707 `resource`, or its alias `audience`) and the scopes from what the credential holds,
 * then sign an RFC 9068 access token with the current key.
 */
import { getConfig, type Env } from "../config";
import { signAccessToken } from "../crypto/access-token";
import { randomToken } from "../crypto/encoding";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { isValidResourceUri, parseScopeParam, selectGrant } from "../domain/scopes";
import { buildAccessTokenClaims, type AccessTokenClaims } from "../domain/token-claims";
import { keyRing } from "../services/signing-key-ring";
import type { CredentialRow } from "../storage/schema";

export interface IssuedToken {
  accessToken: string;
  claims: AccessTokenClaims;
  expiresIn: number;
}

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
export async function issueClientCredentialsToken(
  env: Env,
  credential: CredentialRow,
  authenticatorId: string,
  params: Map<string, string>,
  nowMs: number,
): Promise<IssuedToken> {
  const config = getConfig(env);
  const selection = selectGrant(credential.grants, requestedResource(params), requestedScopes(params));
  if (!selection.ok) {
    const description = selection.error === "invalid_target" ? D.resourceNotGranted : D.scopeNotGranted;
    throw new OAuthError(selection.error, description);
  }
  const expiresIn = credential.tokenLifetime ?? config.tokenLifetimeSeconds;
  const claims = buildAccessTokenClaims({
    issuer: config.issuer,
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
  const { signer } = await keyRing(env, nowMs);
  return { accessToken: await signAccessToken(claims, signer), claims, expiresIn };
}
