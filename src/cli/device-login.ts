/**
 * The CLI's side of the device grant (RFC 8628) and its refresh tokens: start a sign-in, poll the token
 * endpoint at the interval the server sets (slower after slow_down, RFC 8628 section 3.5), refresh, and end
 * the session at POST /oauth/logout. The CLI is the public client `latchkey-cli`: it holds no secret, only
 * the tokens the person's approval earns. Tokens are never printed or put in an error message.
 */
import type { FetchLike } from "../client/discovery.js";
import { CliError, ExitCode, describeNetworkError } from "./errors.js";

/** The CLI's fixed public client_id (the server's domain/device-rules.ts). */
export const CLI_CLIENT_ID = "latchkey-cli";
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** RFC 8628 section 3.2. */
export interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/** A token response with a refresh token. */
export interface PersonTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

async function postForm(fetch: FetchLike, url: string, form: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form).toString(),
    });
  } catch (error) {
    throw new CliError(ExitCode.unreachable, `Cannot reach ${new URL(url).origin}: ${describeNetworkError(error)}.`);
  }
}

async function jsonOf(res: Response): Promise<Record<string, unknown>> {
  try {
    return (await res.json()) as Record<string, unknown>;
  } catch {
    throw new CliError(ExitCode.error, `The server answered HTTP ${res.status} without JSON.`);
  }
}

/** Starts a device sign-in at the server's device_authorization_endpoint. */
export async function startDeviceLogin(fetch: FetchLike, endpoint: string, hostname: string): Promise<DeviceStart> {
  const res = await postForm(fetch, endpoint, { client_id: CLI_CLIENT_ID, hostname });
  const body = await jsonOf(res);
  if (res.status !== 200 || typeof body.device_code !== "string" || typeof body.user_code !== "string") {
    throw new CliError(
      ExitCode.error,
      `The server refused to start a sign-in (HTTP ${res.status} ${String(body.error ?? "")}).`,
    );
  }
  return body as unknown as DeviceStart;
}

function tokensOf(body: Record<string, unknown>): PersonTokens {
  if (typeof body.access_token !== "string" || typeof body.refresh_token !== "string") {
    throw new CliError(ExitCode.error, "The server's token response has no access or refresh token.");
  }
  return body as unknown as PersonTokens;
}

/**
 * Polls until the person decides or the code expires. `sleep` and `now` are injected (tests, and so the
 * wait honours the interval exactly); exit 3 for a denial or an expired code.
 */
export async function pollForTokens(
  fetch: FetchLike,
  tokenEndpoint: string,
  start: DeviceStart,
  clock: { now(): number; sleep(ms: number): Promise<void> },
): Promise<PersonTokens> {
  let interval = Math.max(1, start.interval ?? 5);
  const deadline = clock.now() + start.expires_in * 1000;
  while (clock.now() < deadline) {
    await clock.sleep(interval * 1000);
    const form = { grant_type: DEVICE_CODE_GRANT, device_code: start.device_code, client_id: CLI_CLIENT_ID };
    const res = await postForm(fetch, tokenEndpoint, form);
    const body = await jsonOf(res);
    if (res.status === 200) return tokensOf(body);
    if (body.error === "authorization_pending") continue;
    if (body.error === "slow_down") {
      interval += 5;
      continue;
    }
    if (body.error === "access_denied")
      throw new CliError(ExitCode.credentialRejected, "The sign-in was denied in the console.");
    if (body.error === "expired_token") break;
    throw new CliError(ExitCode.error, `The server refused the sign-in (${String(body.error ?? res.status)}).`);
  }
  throw new CliError(
    ExitCode.credentialRejected,
    "The code expired before it was approved. Run `latchkey login` again.",
  );
}

/** Exchanges the refresh token for new tokens (the old one is spent); exit 3 once the session has ended. */
export async function refreshPersonTokens(
  fetch: FetchLike,
  tokenEndpoint: string,
  refreshToken: string,
): Promise<PersonTokens> {
  const res = await postForm(fetch, tokenEndpoint, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: CLI_CLIENT_ID,
  });
  const body = await jsonOf(res);
  if (res.status === 200) return tokensOf(body);
  if (body.error === "invalid_grant") {
    throw new CliError(
      ExitCode.credentialRejected,
      "Your sign-in has ended (signed out, ended in the console, or expired). Run `latchkey login` again.",
    );
  }
  throw new CliError(
    ExitCode.error,
    `The server refused to refresh the sign-in (${String(body.error ?? res.status)}).`,
  );
}

/** Ends the session the refresh token belongs to (POST /oauth/logout answers 200 whatever the token). */
export async function endPersonSession(fetch: FetchLike, issuer: string, refreshToken: string): Promise<void> {
  const res = await postForm(fetch, `${issuer}/oauth/logout`, { client_id: CLI_CLIENT_ID, token: refreshToken });
  if (res.status !== 200)
    throw new CliError(ExitCode.error, `The server did not end the session (HTTP ${res.status}).`);
}
