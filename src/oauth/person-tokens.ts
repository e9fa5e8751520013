/**
 * What the public grants answer: a person's access token for Latchkey's own API, limited to what the
 * person's role allows (the same scopes a console session has, so the authority rule holds unchanged), and
 * the session's next refresh token. One person_token_minted event per issue, without either token.
 */
import type { RequestContext } from "../context";
import { signAccessToken } from "../crypto/access-token";
import { randomToken } from "../crypto/encoding";
import { PERSON_TOKEN_LIFETIME_SECONDS } from "../domain/device-rules";
import { buildPersonTokenClaims } from "../domain/person-token-claims";
import { issuerFor } from "../domain/realms";
import { scopesOfRole } from "../domain/roles";
import { keyRing } from "../services/isolate-caches";
import type { SessionGrant } from "../services/device-sessions";
import type { IssuedPersonTokens, PublicGrantDeps } from "./grants/types";

/** Signs the person's access token for a session grant and pairs it with the refresh token. */
export async function issuePersonTokens(
  deps: PublicGrantDeps,
  { session, user, refreshToken }: SessionGrant,
  nowMs: number,
): Promise<IssuedPersonTokens> {
  const claims = buildPersonTokenClaims({
    issuer: issuerFor(deps.config, user.tenantId),
    userId: user.id,
    tenantId: user.tenantId,
    clientId: session.clientId,
    sessionId: session.id,
    scopes: scopesOfRole(user.role),
    lifetimeSeconds: PERSON_TOKEN_LIFETIME_SECONDS,
    jti: randomToken(16),
    nowMs,
  });
  const { signer } = await keyRing({ db: deps.db, config: deps.config, realm: user.tenantId }, nowMs);
  const accessToken = await signAccessToken(claims, signer);
  return { accessToken, refreshToken, claims, expiresIn: PERSON_TOKEN_LIFETIME_SECONDS };
}

/** RFC 6749 section 5.1 with a refresh token (RFC 8628 section 3.5), no-store, and its log event. */
export function personTokenResponse(ctx: Pick<RequestContext, "log">, grantType: string, issued: IssuedPersonTokens) {
  const { claims } = issued;
  ctx.log.info("person_token_minted", {
    grant_type: grantType,
    sub: claims.sub,
    client_id: claims.client_id,
    tenant: claims.tenant,
    sid: claims.sid,
    scope: claims.scope,
    jti: claims.jti,
    exp: claims.exp,
  });
  const body = {
    access_token: issued.accessToken,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
    scope: claims.scope,
    refresh_token: issued.refreshToken,
  };
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache" },
  });
}
