/**
 * The token pipeline's guardrail steps, run for every grant once the client is authenticated: the network
 * allow-list (outside it in enforce mode: 400 unauthorized_client with one fixed description) and the mint
 * quotas (used up in enforce mode: 429 quota_exceeded with Retry-After until the window resets). Both read
 * only the authenticated client's cached row; neither writes or waits on anything (alerts and quota refreshes
 * go to the background), and a credential without guardrails costs two null checks.
 */
import type { RequestContext } from "../context";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { judgeNetwork } from "../services/network-guard";
import { judgeMintQuota } from "../services/quota-guard";
import type { AuthenticatedClient } from "./client-auth";

type GuardDeps = Pick<RequestContext, "db" | "replica" | "env" | "log" | "background">;

/** The client address Cloudflare reports (CF-Connecting-IP), undefined without one. */
export const clientAddress = (request: Request) => request.headers.get("cf-connecting-ip") ?? undefined;

/** Throws unauthorized_client when the request comes from outside an enforced allow-list. */
export function guardNetwork(ctx: GuardDeps, request: Request, client: AuthenticatedClient, nowMs: number): void {
  if (!client.credential.networkPolicy) return;
  if (judgeNetwork(ctx, client.credential, clientAddress(request), "token_endpoint", nowMs) === "deny") {
    throw new OAuthError("unauthorized_client", D.networkNotAllowed, { reason: "outside the network allow-list" });
  }
}

/** The quota headers for the response (undefined without quotas); throws quota_exceeded when enforced and used up. */
export function guardQuota(
  ctx: GuardDeps,
  client: AuthenticatedClient,
  nowMs: number,
): Record<string, string> | undefined {
  if (!client.credential.quotaPolicy) return undefined;
  const outcome = judgeMintQuota(ctx, client.credential, nowMs);
  if (outcome?.refuseFor !== undefined) {
    throw new OAuthError("quota_exceeded", D.quotaExceeded, {
      retryAfterSeconds: outcome.refuseFor,
      reason: "mint quota used up",
    });
  }
  return outcome?.headers;
}
