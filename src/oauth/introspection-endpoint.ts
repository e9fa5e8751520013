/**
 * POST /oauth/introspect (RFC 7662): a credential holding the management scope `tokens:introspect` asks
 * whether a token of its own tenant is active. Active tokens answer their claims (RFC 7662 section 2.2,
 * with `token_type` "DPoP" and `cnf` when the token is sender-constrained, else "Bearer"); every other
 * token (expired, badly signed, revoked, of a revoked credential, of another tenant, not a Latchkey token)
 * answers exactly `{"active": false}`, so the answer reveals nothing else. Calls are limited per credential.
 */
import { issuerFor } from "../domain/realms";
import type { RequestContext } from "../context";
import { verifyIssuedToken } from "../crypto/access-token";
import { INTROSPECT_SCOPE, MANAGEMENT_RESOURCE } from "../domain/management";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import type { AccessTokenClaims } from "../domain/token-claims";
import { keyRing } from "../services/signing-key-ring";
import { tokenStanding } from "../storage/token-revocations";
import { type AuthenticatedCall, authenticatedCall, limitPerCaller } from "./authenticated-call";

const RESPONSE_HEADERS = { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache" };
const INACTIVE = JSON.stringify({ active: false });

/** A token claims set with an RFC 7800 confirmation, as a DPoP-bound token carries it. */
type MaybeBound = AccessTokenClaims & { cnf?: { jkt?: unknown } };

function holdsIntrospection(call: AuthenticatedCall): boolean {
  return call.client.credential.grants.some(
    (g) => g.resource === MANAGEMENT_RESOURCE && g.scopes.includes(INTROSPECT_SCOPE),
  );
}

/** The token's claims when it is active for a caller of `tenantId` at `nowMs`; null otherwise. */
export async function activeClaims(
  ctx: RequestContext,
  token: string,
  tenantId: string,
  nowMs: number,
): Promise<MaybeBound | null> {
  const { verifiers } = await keyRing(ctx, nowMs);
  const claims = (await verifyIssuedToken(token, verifiers, issuerFor(ctx.config, ctx.realm))) as MaybeBound | null;
  if (!claims || claims.tenant !== tenantId || claims.exp * 1000 <= nowMs) return null;
  const standing = await tokenStanding(ctx.db, tenantId, claims.client_id, claims.jti);
  if (standing?.status !== "active" || standing.jtiRevoked) return null;
  if (standing.tokensNotBefore !== null && claims.iat * 1000 < standing.tokensNotBefore) return null;
  return claims;
}

/** RFC 7662 section 2.2: the introspection response of an active token. */
function activeResponse(claims: MaybeBound): Record<string, unknown> {
  const jkt = typeof claims.cnf?.jkt === "string" ? claims.cnf.jkt : undefined;
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: jkt ? "DPoP" : "Bearer",
    ...(jkt ? { cnf: { jkt } } : {}),
    svc: claims.svc,
  };
}

/** Answers one introspection request; throws the OAuthError to render for any failure. */
export async function introspectionEndpoint(ctx: RequestContext, request: Request): Promise<Response> {
  const nowMs = ctx.clock();
  const call = await authenticatedCall(ctx, request, nowMs);
  if (!holdsIntrospection(call)) {
    throw new OAuthError("unauthorized_client", D.introspectionNotAllowed, {
      status: 403,
      reason: `${call.client.credential.id} lacks ${INTROSPECT_SCOPE}`,
    });
  }
  await limitPerCaller(ctx, call);
  const token = call.params.get("token");
  if (token === undefined) throw new OAuthError("invalid_request", D.missingToken);
  const claims = await activeClaims(ctx, token, call.client.credential.tenantId, nowMs);
  const body = claims ? JSON.stringify(activeResponse(claims)) : INACTIVE;
  return new Response(body, { status: 200, headers: RESPONSE_HEADERS });
}
