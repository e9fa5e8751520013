/**
 * The front half of the token endpoint, for the other endpoints that authenticate clients (RFC 7662
 * introspection, RFC 7009 revocation): read the form (duplicates refused), find the presented credentials,
 * authenticate them with any registered method. A failure up to there is counted against its source and
 * client_id like a failed token request (failure-limits.ts), and over that limit answered 429 instead.
 * Verified calls are then limited per credential (INTROSPECTION_LIMITER).
 */
import type { RequestContext } from "../context";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { requestSource } from "../domain/request-source";
import {
  type AuthenticatedClient,
  authenticateClient,
  CLIENT_AUTH_METHOD_NAMES,
  claimedClientId,
  type PresentedCredentials,
  presentedCredentials,
} from "./client-auth";
import { withinLimit } from "../services/rate-limits";
import { INTROSPECTION_WINDOW_SECONDS } from "../tunables";
import { recordTokenFailure } from "./failure-limits";
import { readOAuthForm } from "./form";

/** An authenticated call: the client and the form it sent. */
export interface AuthenticatedCall {
  client: AuthenticatedClient;
  params: Map<string, string>;
}

/** Reads and authenticates one call at `nowMs`; throws the OAuthError to render (429 once over the failure limit). */
export async function authenticatedCall(
  ctx: RequestContext,
  request: Request,
  nowMs: number,
): Promise<AuthenticatedCall> {
  let presented: PresentedCredentials | undefined;
  try {
    const params = await readOAuthForm(request);
    presented = presentedCredentials(new URL(request.url), request.headers.get("authorization") ?? undefined, params);
    const client = await authenticateClient(ctx, presented, CLIENT_AUTH_METHOD_NAMES, nowMs);
    return { client, params };
  } catch (err) {
    if (!(err instanceof OAuthError) || err.status >= 500) throw err;
    const source = requestSource(request.headers.get("cf-connecting-ip") ?? undefined);
    const retryAfter = await recordTokenFailure(ctx.env, source, claimedClientId(presented), nowMs);
    if (retryAfter === null) throw err;
    throw new OAuthError("slow_down", D.rateLimited, { retryAfterSeconds: retryAfter, reason: "failure limit" });
  }
}

/** Counts one verified call of an introspecting or revoking credential; 429 over its limit. */
export async function limitPerCaller(ctx: RequestContext, call: AuthenticatedCall): Promise<void> {
  if (!(await withinLimit(ctx.env.INTROSPECTION_LIMITER, call.client.credential.id))) {
    throw new OAuthError("slow_down", D.rateLimited, {
      retryAfterSeconds: INTROSPECTION_WINDOW_SECONDS,
      reason: "per-credential introspection limit",
    });
  }
}
