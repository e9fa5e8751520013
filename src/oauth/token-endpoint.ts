/**
 * POST /oauth/token as a visible chain of named steps: read the form (duplicates refused), find the presented
 * credentials, look the grant up in the registry, authenticate the client with a method the grant accepts,
 * limit per credential, check a DPoP proof (dpop.ts), run the grant's handler with the proof's binding (so every
 * grant binds), record the mint, respond with no-store. Nothing before
 * authentication is limited: a request that fails anywhere up to it is counted against its source (and its
 * client_id), and over that limit the failure is answered 429 instead (failure-limits.ts), so a request whose
 * credentials verify is never refused for others' failures. The mint writes nothing synchronously: usage is
 * coalesced in the background (as is the renewal of a secret hash made under the previous pepper) and one
 * token_minted log event records it. The guardrail steps (guardrails.ts: network allow-list, mint quotas)
 * run for every grant after authentication and read only the authenticated client's row.
 */
import type { RequestContext } from "../context";
import { requestSource } from "../domain/request-source";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { noteMint, renewSecretHashLater } from "../services/isolate-caches";
import { TOKEN_CLIENT_WINDOW_SECONDS } from "../tunables";
import {
  authenticateClient,
  claimedClientId,
  presentedCredentials,
  publicClientOf,
  type AuthenticatedClient,
  type PresentedCredentials,
} from "./client-auth";
import { recordTokenFailure, withinMintLimit } from "./failure-limits";
import { dpopBinding, type DpopMint } from "./dpop";
import { readOAuthForm } from "./form";
import { grantFor, type Grant, type IssuedToken, type PublicGrant } from "./grants";
import { guardNetwork, guardQuota, mintOrigin } from "./guardrails";
import { personTokenResponse } from "./person-tokens";
import type { MintOrigin } from "../services/usage-recorder";

/** RFC 6749 section 5.1: a token response is JSON and must not be cached. */
const TOKEN_RESPONSE_HEADERS = {
  "Content-Type": "application/json",
  "Cache-Control": "no-store",
  Pragma: "no-cache",
} as const;

const rateLimited = (retryAfterSeconds: number, reason: string) =>
  new OAuthError("slow_down", D.rateLimited, { retryAfterSeconds, reason });

/** The registered grant the request names; invalid_request without grant_type, unsupported_grant_type for others. */
function requestedGrant(params: Map<string, string>): Grant | PublicGrant {
  const grantType = params.get("grant_type");
  if (grantType === undefined) throw new OAuthError("invalid_request", D.missingGrantType);
  const grant = grantFor(grantType);
  if (!grant) throw new OAuthError("unsupported_grant_type", D.unsupportedGrantType);
  return grant;
}

/**
 * What a request that failed before or during authentication is answered: its own error, or, when its
 * source or (client_id, source) is over the failure limit, the same 429 whatever the failure was.
 */
async function refusal(
  ctx: RequestContext,
  request: Request,
  err: unknown,
  presented: PresentedCredentials | undefined,
  nowMs: number,
): Promise<unknown> {
  if (!(err instanceof OAuthError) || err.status >= 500) return err;
  const source = requestSource(request.headers.get("cf-connecting-ip") ?? undefined);
  const retryAfter = await recordTokenFailure(ctx.env, source, claimedClientId(presented), nowMs);
  return retryAfter === null ? err : rateLimited(retryAfter, `failure limit: ${err.reason ?? err.code}`);
}

/** Only verified requests reach this count, so nobody but the credential's holder can spend its budget. */
async function limitPerCredential(ctx: RequestContext, client: AuthenticatedClient): Promise<void> {
  if (!(await withinMintLimit(ctx.env, client.credential.id)))
    throw rateLimited(TOKEN_CLIENT_WINDOW_SECONDS, "per-credential mint limit");
}

/** Background usage and pepper renewal, and exactly one token_minted event. */
function recordMint(
  ctx: RequestContext,
  client: AuthenticatedClient,
  issued: IssuedToken,
  nowMs: number,
  origin?: MintOrigin,
  dpop?: DpopMint,
): void {
  const flush = noteMint(
    ctx,
    client.credential.id,
    { id: client.authenticatorId, kind: client.authenticatorKind, subject: client.federated?.subject },
    nowMs,
    origin,
  );
  if (flush) ctx.background(flush);
  const renewal = renewSecretHashLater(ctx, client.secretRehash);
  if (renewal) ctx.background(renewal);
  const { claims } = issued;
  ctx.log.info("token_minted", {
    actor: claims.svc,
    client_id: client.credential.id,
    tenant: client.credential.tenantId,
    method: client.method,
    aud: claims.aud,
    scope: claims.scope,
    jti: claims.jti,
    exp: claims.exp,
    ...(client.federated && {
      federated_identity: client.federated.identityId,
      federated_sub: client.federated.subject,
    }),
    ...(dpop ? { jkt: dpop.binding.jkt } : {}),
  });
}

/**
 * RFC 6749 section 5.1 successful response; RFC 9449 section 5: token_type DPoP for a bound token. `extraHeaders`
 * are the quota headers (guardrails.ts).
 */
function respond(issued: IssuedToken, dpop?: DpopMint, extraHeaders?: Record<string, string>): Response {
  const body = {
    access_token: issued.accessToken,
    token_type: dpop ? "DPoP" : "Bearer",
    expires_in: issued.expiresIn,
    scope: issued.claims.scope,
    ...(issued.issuedTokenType && { issued_token_type: issued.issuedTokenType }),
  };
  const headers = {
    ...TOKEN_RESPONSE_HEADERS,
    ...(dpop?.nextNonce && { "DPoP-Nonce": dpop.nextNonce }),
    ...extraHeaders,
  };
  return new Response(JSON.stringify(body), { status: 200, headers });
}

/** A public client's grant (device code, refresh): no per-credential limit, and its own response with a refresh token. */
async function publicGrant(
  ctx: RequestContext,
  request: Request,
  grant: PublicGrant,
  clientId: string,
  params: Map<string, string>,
  nowMs: number,
): Promise<Response> {
  const ip = request.headers.get("cf-connecting-ip");
  return personTokenResponse(ctx, grant.grantType, await grant.handler(ctx, clientId, params, { ip }, nowMs));
}

/** Answers one token request; throws the OAuthError to render for any failure. */
export async function tokenEndpoint(ctx: RequestContext, request: Request): Promise<Response> {
  const nowMs = ctx.clock();
  let presented: PresentedCredentials | undefined;
  let params: Map<string, string>;
  let grant: Grant | PublicGrant;
  let client: AuthenticatedClient | string;
  try {
    params = await readOAuthForm(request);
    presented = presentedCredentials(new URL(request.url), request.headers.get("authorization") ?? undefined, params);
    grant = requestedGrant(params);
    client = grant.public
      ? publicClientOf(presented)
      : await authenticateClient(ctx, presented, grant.clientAuth, nowMs);
  } catch (err) {
    throw await refusal(ctx, request, err, presented, nowMs);
  }
  if (grant.public) return publicGrant(ctx, request, grant, client as string, params, nowMs);
  client = client as AuthenticatedClient;
  guardNetwork(ctx, request, client, nowMs);
  await limitPerCredential(ctx, client);
  const quotaHeaders = guardQuota(ctx, client, nowMs);
  const dpop = await dpopBinding(ctx, request, client, nowMs);
  const deps = dpop ? { ...ctx, tokenBinding: dpop.binding } : ctx;
  const issued = await grant.handler(deps, client, params, nowMs);
  recordMint(ctx, client, issued, nowMs, mintOrigin(request, client), dpop);
  return respond(issued, dpop, quotaHeaders);
}
