/**
 * POST /oauth/revoke (RFC 7009): a client revokes an access token it holds. The answer is 200 with an empty
 * body for every valid request, whether the token was revoked, already revoked, expired, unknown or another
 * client's (RFC 7009 section 2.2: which of these it was is not the caller's business); only the client the
 * token was issued to can revoke it. `token_type_hint` is a hint only: Latchkey issues access tokens alone.
 */
import { issuerFor } from "../domain/realms";
import type { RequestContext } from "../context";
import { verifyIssuedToken } from "../crypto/access-token";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { keyRing } from "../services/signing-key-ring";
import { isStorageOutage } from "../storage/errors";
import { revokeOwnToken } from "../services/token-revocations";
import { authenticatedCall, limitPerCaller } from "./authenticated-call";

const RESPONSE_HEADERS = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** Answers one revocation request; throws the OAuthError to render for any failure. */
export async function revocationEndpoint(ctx: RequestContext, request: Request): Promise<Response> {
  const nowMs = ctx.clock();
  const call = await authenticatedCall(ctx, request, nowMs);
  await limitPerCaller(ctx, call);
  const token = call.params.get("token");
  if (token === undefined) throw new OAuthError("invalid_request", D.missingToken);
  const { credential } = call.client;
  const { verifiers } = await keyRing(ctx, nowMs);
  const claims = await verifyIssuedToken(token, verifiers, issuerFor(ctx.config, ctx.realm));
  const own = claims && claims.client_id === credential.id && claims.tenant === credential.tenantId;
  if (own && claims.exp * 1000 > nowMs) {
    const facts = {
      ip: request.headers.get("cf-connecting-ip"),
      userAgent: request.headers.get("user-agent"),
    };
    await revokeOwnToken(ctx, credential, claims, facts, nowMs).catch((err: unknown) => {
      // RFC 7009 section 2.2.1: 503 tells the client the token may still be valid and to retry.
      if (!isStorageOutage(err)) throw err;
      throw new OAuthError("temporarily_unavailable", D.revocationUnavailable, {
        retryAfterSeconds: 5,
        reason: String(err),
      });
    });
  }
  return new Response(null, { status: 200, headers: RESPONSE_HEADERS });
}
