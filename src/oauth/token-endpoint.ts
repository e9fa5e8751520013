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
 * run for every grant after authentication and read only the authenticated client's row. A private_key_jwt
 * assertion's jti check (a Durable Object round trip) starts once its signature holds and overlaps with the
 * grant's signing (signAhead); the request waits for it where authentication ends, so a replay is refused
 * exactly as before and its token never leaves.
 */
import type { RequestContext } from "../context";
import { requestSource } from "../domain/request-source";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { noteMint, renewSecretHashLater } from "../services/isolate-caches";
import { TOKEN_CLIENT_WINDOW_SECONDS } from "../tunables";
import {
  authenticateClientPending,
  claimedClientId,
  confirmFreshAssertion,
  presentedCredentials,
  publicClientOf,
  type AuthenticatedClient,
  type PresentedCredentials,
} from "./client-auth";
import { recordTokenFailure, withinMintLimit } from "./failure-limits";
import { dpopBinding, type DpopMint } from "./dpop";
import { readOAuthForm } from "./form";
import { grantFor, type Grant, type IssuedToken, type PublicGrant } from "./grants";
import { clientAddress, guardNetwork, guardQuota } from "./guardrails";
import { personTokenResponse } from "./person-tokens";

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

/** Background usage and pepper renewal, and exactly one token_minted event. */
function recordMint(
  ctx: RequestContext,
  request: Request,
  client: AuthenticatedClient,
  issued: IssuedToken,
  nowMs: number,
  dpop: DpopMint | undefined,
): void {
  const { credential, federated } = client;
  const flush = noteMint(
    ctx,
    {
      credentialId: credential.id,
      tenantId: credential.tenantId,
      address: clientAddress(request),
      authenticatorId: client.authenticatorId,
      authenticatorKind: client.authenticatorKind,
      subject: federated?.subject,
    },
    nowMs,
  );
  if (flush) ctx.background(flush);
  if (client.secretRehash) {
    const renewal = renewSecretHashLater(ctx, client.secretRehash);
    if (renewal) ctx.background(renewal);
  }
  const { claims } = issued;
  const event: Record<string, unknown> = {
    actor: claims.svc,
    client_id: credential.id,
    tenant: credential.tenantId,
    method: client.method,
    aud: claims.aud,
    scope: claims.scope,
    jti: claims.jti,
    exp: claims.exp,
  };
  if (federated) {
    event.federated_identity = federated.identityId;
    event.federated_sub = federated.subject;
  }
  if (dpop) event.jkt = dpop.binding.jkt;
  ctx.log.info("token_minted", event);
}

/**
 * RFC 6749 section 5.1 successful response; RFC 9449 section 5: token_type DPoP for a bound token. `extraHeaders`
 * are the quota headers (guardrails.ts). A plain Bearer response takes the constant headers as they are.
 */
function respond(issued: IssuedToken, dpop?: DpopMint, extraHeaders?: Record<string, string>): Response {
  const body: Record<string, unknown> = {
    access_token: issued.accessToken,
    token_type: dpop ? "DPoP" : "Bearer",
    expires_in: issued.expiresIn,
    scope: issued.claims.scope,
  };
  if (issued.issuedTokenType) body.issued_token_type = issued.issuedTokenType;
  let headers: Record<string, string> = TOKEN_RESPONSE_HEADERS;
  if (dpop?.nextNonce || extraHeaders) {
    headers = { ...TOKEN_RESPONSE_HEADERS, ...extraHeaders };
    if (dpop?.nextNonce) headers["DPoP-Nonce"] = dpop.nextNonce;
  }
  return new Response(JSON.stringify(body), { status: 200, headers });
}

/** A grant handler's outcome, held until the pipeline reaches the step where it would have run. */
type Settled = { ok: true; issued: IssuedToken } | { ok: false; error: unknown };

/**
 * private_key_jwt: while the assertion's jti check is under way, the handler builds and signs the token (it
 * writes nothing and releases nothing), unless a DPoP proof must bind it first. Its outcome, error or token,
 * is only taken where the handler would have run, after every step before it, so the errors' order is
 * unchanged and a replay's token never leaves.
 */
function signAhead(
  ctx: RequestContext,
  request: Request,
  grant: Grant,
  client: AuthenticatedClient,
  params: Map<string, string>,
  nowMs: number,
): Promise<Settled> | undefined {
  if (client.pendingJtiCheck === undefined || client.credential.requireDpop || request.headers.has("dpop"))
    return undefined;
  return grant.handler(ctx, client, params, nowMs).then(
    (issued): Settled => ({ ok: true, issued }),
    (error: unknown): Settled => ({ ok: false, error }),
  );
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
  let ahead: Promise<Settled> | undefined;
  try {
    params = await readOAuthForm(request);
    presented = presentedCredentials(new URL(request.url), request.headers.get("authorization") ?? undefined, params);
    grant = requestedGrant(params);
    if (grant.public) client = publicClientOf(presented);
    else {
      client = await authenticateClientPending(ctx, presented, grant.clientAuth, nowMs);
      ahead = signAhead(ctx, request, grant, client, params, nowMs);
      // A replayed assertion is refused here, as a failed authentication, before any later step runs.
      await confirmFreshAssertion(client);
    }
  } catch (err) {
    throw await refusal(ctx, request, err, presented, nowMs);
  }
  if (grant.public) return publicGrant(ctx, request, grant, client as string, params, nowMs);
  client = client as AuthenticatedClient;
  const { credential } = client;
  // The guardrail and DPoP steps cost a null check each for a credential that uses none of them.
  if (credential.networkPolicy) guardNetwork(ctx, request, client, nowMs);
  // Only verified requests reach this count, so nobody but the credential's holder can spend its budget.
  if (!(await withinMintLimit(ctx.env, credential.id)))
    throw rateLimited(TOKEN_CLIENT_WINDOW_SECONDS, "per-credential mint limit");
  const quotaHeaders = credential.quotaPolicy ? guardQuota(ctx, client, nowMs) : undefined;
  const dpop =
    request.headers.has("dpop") || credential.requireDpop ? await dpopBinding(ctx, request, client, nowMs) : undefined;
  let issued: IssuedToken;
  if (ahead) {
    const settled = await ahead;
    if (!settled.ok) throw settled.error;
    issued = settled.issued;
  } else issued = await grant.handler(dpop ? { ...ctx, tokenBinding: dpop.binding } : ctx, client, params, nowMs);
  recordMint(ctx, request, client, issued, nowMs, dpop);
  return respond(issued, dpop, quotaHeaders);
}
