/**
 * POST /oauth/token, as a visible chain of small steps: parse the form, find the presented credentials, check
 * the grant type, authenticate, per-credential limit, issue. Nothing before authentication is limited: a
 * request that fails anywhere up to it is counted against its source (and its client_id), and over that
 * limit the failure is answered 429 instead (middleware/rate-limit.ts), so a request whose credentials verify
 * is never refused for others' failures. The mint writes nothing synchronously: usage is coalesced in the
 * background (as is the renewal of a secret hash made under the previous pepper) and one structured log line
 * records the mint.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../context";
import { requestSource } from "../domain/request-source";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { issueClientCredentialsToken } from "../grants/client-credentials";
import { authenticateClient, type AuthenticatedClient } from "../middleware/client-auth";
import { claimedClientId, presentedCredentials, type PresentedCredentials } from "../middleware/client-credentials";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { readOAuthForm } from "../middleware/form-body";
import { recordTokenFailure, TOKEN_CLIENT_WINDOW_SECONDS, withinLimit } from "../middleware/rate-limit";
import { renewSecretHashLater } from "../services/pepper-rotation";
import { noteMint } from "../services/usage-recorder";

const rateLimited = (retryAfterSeconds: number, reason: string) =>
  new OAuthError("slow_down", D.rateLimited, { retryAfterSeconds, reason });

/**
 * What a request that failed before or during authentication is answered: its own error, or, when its
 * source or (client_id, source) is over the failure limit, the same 429 whatever the failure was.
 */
async function refusal(c: Context<AppEnv>, err: unknown, presented: PresentedCredentials | undefined, nowMs: number): Promise<unknown> {
  if (!(err instanceof OAuthError) || err.status >= 500) return err;
  const source = requestSource(c.req.header("cf-connecting-ip"));
  const retryAfter = await recordTokenFailure(c.env, source, claimedClientId(presented), nowMs);
  return retryAfter === null ? err : rateLimited(retryAfter, `failure limit: ${err.reason ?? err.code}`);
}

export const tokenRoutes = new Hono<AppEnv>();

tokenRoutes.post("/oauth/token", async (c) => {
  const nowMs = Date.now();
  let presented: PresentedCredentials | undefined;
  let params: Map<string, string>;
  let client: AuthenticatedClient;
  try {
    params = await readOAuthForm(c);
    presented = presentedCredentials(new URL(c.req.url), c.req.header("authorization"), params);
    const grantType = params.get("grant_type");
    if (grantType === undefined) throw new OAuthError("invalid_request", D.missingGrantType);
    if (grantType !== "client_credentials") throw new OAuthError("unsupported_grant_type", D.unsupportedGrantType);
    client = await authenticateClient(c.env, presented, nowMs);
  } catch (err) {
    throw await refusal(c, err, presented, nowMs);
  }
  // Only verified requests reach this count, so nobody but the credential's holder can spend its budget.
  if (!(await withinLimit(c.env.TOKEN_CLIENT_LIMITER, client.credential.id))) {
    throw rateLimited(TOKEN_CLIENT_WINDOW_SECONDS, "per-credential mint limit");
  }

  const issued = await issueClientCredentialsToken(c.env, client.credential, client.authenticatorId, params, nowMs);
  const flush = noteMint(c.env.DB, client.credential.id, { id: client.authenticatorId, kind: client.authenticatorKind }, nowMs);
  if (flush) c.executionCtx.waitUntil(flush);
  const renewal = renewSecretHashLater(c.env, client.secretRehash);
  if (renewal) c.executionCtx.waitUntil(renewal);
  console.log(
    JSON.stringify({
      event: "token_minted",
      actor: issued.claims.svc,
      client_id: client.credential.id,
      tenant: client.credential.tenantId,
      method: client.method,
      aud: issued.claims.aud,
      scope: issued.claims.scope,
      jti: issued.claims.jti,
      exp: issued.claims.exp,
    }),
  );
  return c.json(
    { access_token: issued.accessToken, token_type: "Bearer", expires_in: issued.expiresIn, scope: issued.claims.scope },
    200,
    NO_STORE_HEADERS,
  );
});

// RFC 6749 section 3.2: the token endpoint takes POST only.
tokenRoutes.all("/oauth/token", () => {
  throw new OAuthError("invalid_request", D.postOnly, { status: 405, allow: "POST" });
});
