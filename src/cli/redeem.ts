/**
 * The setup protocol seen from the client: check that the URL serves Latchkey metadata (RFC 8414), then
 * POST /setup/redeem with the one-time code. Problem+json errors (RFC 9457) become CliErrors with the
 * right exit code; the setup code never appears in a message.
 */
import { discover, type AuthorizationServerMetadata, type FetchLike } from "../client/discovery.js";
import { LatchkeyError, parseRetryAfter } from "../client/errors.js";
import { insecureUrlProblem } from "../client/secure-url.js";
import { CliError, ExitCode, describeNetworkError } from "./errors.js";
import { printable } from "./printable.js";

/** The body of a successful redeem. */
export interface RedeemResult {
  issuer: string;
  token_endpoint: string;
  client_id: string;
  name?: string;
  label?: string;
  mode: "key" | "secret";
  client_secret?: string;
  key_id?: string;
}

/** Fetches the server's metadata, explaining a wrong or unreachable server. */
export async function checkServer(
  server: string,
  fetchImpl: FetchLike,
  mode: "key" | "secret",
): Promise<AuthorizationServerMetadata> {
  let meta: AuthorizationServerMetadata;
  try {
    meta = await discover(server, { fetch: fetchImpl, strict: false });
  } catch (error) {
    if (error instanceof LatchkeyError && error.code === "network_error") {
      throw new CliError(ExitCode.unreachable, `Cannot reach ${server}: ${describeNetworkError(error)}.`);
    }
    const why = error instanceof LatchkeyError && error.status >= 502 && error.status <= 504 ? "unavailable" : null;
    if (why)
      throw new CliError(ExitCode.unreachable, `${server} is unavailable (HTTP ${(error as LatchkeyError).status}).`);
    throw new CliError(
      ExitCode.error,
      `${server} does not look like a Latchkey server: ${printable((error as Error).message)}.`,
    );
  }
  const grants = meta.grant_types_supported;
  if (Array.isArray(grants) && !grants.includes("client_credentials")) {
    throw new CliError(
      ExitCode.error,
      `${server} is an OAuth server but does not offer client_credentials: not a Latchkey server.`,
    );
  }
  const methods = meta.token_endpoint_auth_methods_supported;
  if (mode === "key" && Array.isArray(methods) && !methods.includes("private_key_jwt")) {
    // Checked before redeeming so the one-time code is not spent on a credential we could not use.
    throw new CliError(
      ExitCode.error,
      `${server} does not accept private_key_jwt client authentication. Run setup again with --secret.`,
    );
  }
  return meta;
}

/** Redeems a setup code. */
export async function redeemCode(
  server: string,
  body: Record<string, unknown>,
  fetchImpl: FetchLike,
  now: number,
): Promise<RedeemResult> {
  let response: Response;
  try {
    response = await fetchImpl(`${server}/setup/redeem`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, application/problem+json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(ExitCode.unreachable, `Cannot reach ${server}: ${describeNetworkError(error)}.`);
  }
  let data: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = await response.json();
    if (parsed && typeof parsed === "object") data = parsed as Record<string, unknown>;
  } catch {
    data = undefined;
  }
  if (response.ok) return checkResult(data, body.mode as "key" | "secret");
  throw redeemError(response, data, server, now);
}

function redeemError(
  response: Response,
  data: Record<string, unknown> | undefined,
  server: string,
  now: number,
): CliError {
  const code = typeof data?.code === "string" ? data.code : undefined;
  if (response.status === 429 || code === "rate_limited") {
    const retry = parseRetryAfter(response.headers.get("retry-after"), now);
    const when = retry === undefined ? "later" : `in ${retry} s`;
    return new CliError(ExitCode.error, `Too many setup attempts: the server is rate limiting. Try again ${when}.`);
  }
  if (code === "invalid_setup_code") {
    return new CliError(
      ExitCode.setupCodeInvalid,
      "The setup code is invalid, expired or already used (codes work once, for 10 minutes). Ask an admin for a new one.",
    );
  }
  if (code === "setup_mode_mismatch") {
    const secret = data?.expected_mode === "secret";
    return new CliError(
      ExitCode.setupCodeInvalid,
      secret
        ? "This setup code was issued for a client secret: run setup again with --secret. The code is still unused."
        : "This setup code was issued for a key pair: run setup again without --secret. The code is still unused.",
    );
  }
  if (response.status === 404 || response.status === 405) {
    return new CliError(
      ExitCode.error,
      `${server} has no setup endpoint (HTTP ${response.status}): is this the Latchkey server?`,
    );
  }
  if (response.status >= 502 && response.status <= 504) {
    return new CliError(ExitCode.unreachable, `${server} is unavailable (HTTP ${response.status}).`);
  }
  const detail =
    typeof data?.detail === "string" ? data.detail : typeof data?.title === "string" ? data.title : undefined;
  const what = code ? printable(code) : `HTTP ${response.status}`;
  return new CliError(
    ExitCode.error,
    `The server refused the setup (${what})${detail ? `: ${printable(detail)}` : "."}`,
  );
}

function checkResult(data: Record<string, unknown> | undefined, mode: "key" | "secret"): RedeemResult {
  const ok =
    data &&
    typeof data.issuer === "string" &&
    typeof data.token_endpoint === "string" &&
    typeof data.client_id === "string" &&
    (mode === "key" ? typeof data.key_id === "string" : typeof data.client_secret === "string");
  if (!ok)
    throw new CliError(
      ExitCode.error,
      "The server answered the setup with an unexpected body: is this a Latchkey server?",
    );
  if (insecureUrlProblem(data.issuer as string) || insecureUrlProblem(data.token_endpoint as string)) {
    throw new CliError(
      ExitCode.error,
      "The server answered the setup with an issuer or token endpoint that is not https://: refusing to store it.",
    );
  }
  return { ...(data as unknown as RedeemResult), mode };
}
