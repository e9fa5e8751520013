/**
 * POST /oauth/token, as a visible chain of small steps: per-IP limit, parse the form, find the presented
 * credentials, check the grant type, per-client limit, authenticate, issue. The mint writes nothing
 * synchronously: usage is coalesced in the background (as is the renewal of a secret hash made under the
 * previous pepper) and one structured log line records the mint.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { issueClientCredentialsToken } from "../grants/client-credentials";
import { authenticateClient } from "../middleware/client-auth";
import { presentedCredentials } from "../middleware/client-credentials";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { readOAuthForm } from "../middleware/form-body";
import { AUTH_FAILURE_RETRY_AFTER_SECONDS, authFailures, clientIp, withinLimit } from "../middleware/rate-limit";
import { renewSecretHashLater } from "../services/pepper-rotation";
import { noteMint } from "../services/usage-recorder";

const RATE_LIMIT_RETRY_AFTER_SECONDS = 10;

const rateLimited = (retryAfterSeconds: number) => new OAuthError("slow_down", D.rateLimited, { retryAfterSeconds });

export const tokenRoutes = new Hono<AppEnv>();

tokenRoutes.post("/oauth/token", async (c) => {
  const nowMs = Date.now();
  const ip = clientIp(c);
  if (authFailures.isBlocked(ip, nowMs)) throw rateLimited(AUTH_FAILURE_RETRY_AFTER_SECONDS);
  if (!(await withinLimit(c.env.TOKEN_IP_LIMITER, ip))) throw rateLimited(RATE_LIMIT_RETRY_AFTER_SECONDS);

  const params = await readOAuthForm(c);
  const presented = presentedCredentials(new URL(c.req.url), c.req.header("authorization"), params);
  const grantType = params.get("grant_type");
  if (grantType === undefined) throw new OAuthError("invalid_request", D.missingGrantType);
  if (grantType !== "client_credentials") throw new OAuthError("unsupported_grant_type", D.unsupportedGrantType);
  if (!(await withinLimit(c.env.TOKEN_CLIENT_LIMITER, `${presented.clientId ?? "?"}|${ip}`))) {
    throw rateLimited(RATE_LIMIT_RETRY_AFTER_SECONDS);
  }

  let client;
  try {
    client = await authenticateClient(c.env, presented, nowMs);
  } catch (err) {
    if (err instanceof OAuthError && err.code === "invalid_client" && (await authFailures.record(c.env, ip, nowMs))) {
      throw rateLimited(AUTH_FAILURE_RETRY_AFTER_SECONDS);
    }
    throw err;
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
