/**
 * The device grant's endpoints besides the token endpoint: POST /oauth/device_authorization (RFC 8628
 * section 3.1), where a public client starts a sign-in, and POST /oauth/logout, where it ends its device
 * session with its refresh token (RFC 7009's request shape: `token`, `client_id`; always 200, so it tells
 * nobody whether a token existed). Both read the form as the token endpoint does and take only Latchkey's
 * public clients; starts are limited per source (an IPv6 /64 counts as one), as each writes a row.
 */
import type { RequestContext } from "../context";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { requestSource } from "../domain/request-source";
import { startDeviceAuthorization } from "../services/device-authorization";
import { signOutWithRefreshToken } from "../services/device-sessions";
import { withinLimit } from "../services/rate-limits";
import { DEVICE_START_WINDOW_SECONDS } from "../tunables";
import { presentedCredentials, publicClientOf } from "./client-auth";
import { readOAuthForm } from "./form";

const NO_STORE = { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** The console page a person opens to approve (the console routes by URL fragment). */
export function verificationUri(issuer: string): string {
  return `${issuer}/#/device`;
}

async function publicClient(request: Request): Promise<{ clientId: string; params: Map<string, string> }> {
  const params = await readOAuthForm(request);
  const presented = presentedCredentials(
    new URL(request.url),
    request.headers.get("authorization") ?? undefined,
    params,
  );
  return { clientId: publicClientOf(presented), params };
}

/** RFC 8628 section 3.2: the device code, the user code and where the person approves. */
export async function deviceAuthorizationEndpoint(ctx: RequestContext, request: Request): Promise<Response> {
  const ip = request.headers.get("cf-connecting-ip");
  if (!(await withinLimit(ctx.env.DEVICE_LIMITER, `start:${requestSource(ip ?? undefined)}`))) {
    throw new OAuthError("slow_down", D.rateLimited, { retryAfterSeconds: DEVICE_START_WINDOW_SECONDS });
  }
  const { clientId, params } = await publicClient(request);
  const started = await startDeviceAuthorization(ctx, { clientId, hostname: params.get("hostname"), ip }, ctx.clock());
  const uri = verificationUri(ctx.config.issuer);
  const body = {
    device_code: started.deviceCode,
    user_code: started.userCode,
    verification_uri: uri,
    verification_uri_complete: `${uri}?user_code=${started.userCode}`,
    expires_in: started.expiresIn,
    interval: started.interval,
  };
  return new Response(JSON.stringify(body), { status: 200, headers: NO_STORE });
}

/** Ends the device session a refresh token belongs to; 200 with an empty body whatever the token was. */
export async function logoutEndpoint(ctx: RequestContext, request: Request): Promise<Response> {
  const { clientId, params } = await publicClient(request);
  const token = params.get("token");
  if (token === undefined) throw new OAuthError("invalid_request", D.missingToken);
  const facts = { ip: request.headers.get("cf-connecting-ip"), userAgent: request.headers.get("user-agent") };
  await signOutWithRefreshToken(ctx, clientId, token, facts, ctx.clock());
  return new Response(null, { status: 200, headers: { "Cache-Control": "no-store", Pragma: "no-cache" } });
}
