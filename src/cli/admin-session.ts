/**
 * How admin commands reach Latchkey's API: with a person's sign-in (a `device_login` profile, whose access
 * token is refreshed when it is about to expire, under a lock so two commands never spend one refresh token
 * and trip reuse detection) or with a management credential (a profile or the environment, minting for the
 * management resource through the token cache). Problems map to exit codes: 401 -> 3, 403 -> 6, network -> 5.
 */
import { withLock } from "./lock.js";
import { resolveCredential } from "./credentials.js";
import { refreshPersonTokens } from "./device-login.js";
import { CliError, ExitCode, describeNetworkError } from "./errors.js";
import type { Io } from "./io.js";
import { printable } from "./printable.js";
import { chooseProfile, loadProfile, profilePath, saveProfile, type Profile } from "./profiles.js";
import { configDir } from "./store.js";
import { mintForCredential } from "./commands/token.js";

const MANAGEMENT_RESOURCE = "urn:latchkey:management";
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

/** A way to call the admin API. */
export interface AdminApi {
  issuer: string;
  call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
}

async function personToken(io: Io, dir: string, profile: Profile): Promise<string> {
  const fresh = (p: Profile) => p.access_token && (p.access_expires_at ?? 0) - REFRESH_MARGIN_MS > io.now();
  if (fresh(profile)) return profile.access_token as string;
  return withLock(`${profilePath(dir, profile.name)}.lock`, async () => {
    const current = (await loadProfile(dir, profile.name)) ?? profile;
    if (fresh(current)) return current.access_token as string;
    const obtainedAt = io.now();
    const tokens = await refreshPersonTokens(io.fetch, current.token_endpoint, current.refresh_token as string);
    await saveProfile(dir, {
      ...current,
      refresh_token: tokens.refresh_token,
      access_token: tokens.access_token,
      access_expires_at: obtainedAt + tokens.expires_in * 1000,
    });
    return tokens.access_token;
  });
}

/** The admin API as the chosen profile (or the environment's credential) may use it. */
export async function adminApi(io: Io, profileFlag: string | undefined): Promise<AdminApi> {
  const dir = configDir(io.env, io.homedir());
  const name = chooseProfile(profileFlag, io.env);
  const profile = io.env.LATCHKEY_CLIENT_ID ? undefined : await loadProfile(dir, name);
  let issuer: string;
  let token: () => Promise<string>;
  if (profile?.auth_method === "device_login") {
    issuer = profile.issuer;
    token = () => personToken(io, dir, profile);
  } else {
    const credential = await resolveCredential(io.env, dir, name);
    issuer = credential.issuer;
    token = async () => (await mintForCredential(credential, dir, io, { resource: MANAGEMENT_RESOURCE })).access_token;
  }
  return { issuer, call: async (method, path, body) => request(io, issuer, await token(), method, path, body) };
}

async function request(io: Io, issuer: string, token: string, method: string, path: string, body?: unknown) {
  let res: Response;
  try {
    res = await io.fetch(`${issuer}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(ExitCode.unreachable, `Cannot reach ${issuer}: ${describeNetworkError(error)}.`);
  }
  const data = res.status === 204 ? {} : ((await res.json().catch(() => ({}))) as Record<string, unknown>);
  if (res.ok) return data;
  const detail = printable(String(data.detail ?? data.title ?? `HTTP ${res.status}`));
  if (res.status === 401)
    throw new CliError(
      ExitCode.credentialRejected,
      `Not signed in or no longer allowed: ${detail} Run \`latchkey login\` again.`,
    );
  if (res.status === 403) throw new CliError(ExitCode.forbidden, `Refused by the server: ${detail}`);
  if (res.status >= 502 && res.status <= 504)
    throw new CliError(ExitCode.unreachable, `${issuer} is unavailable (HTTP ${res.status}).`);
  throw new CliError(
    ExitCode.error,
    `${detail}${data.code ? ` (${printable(String(data.code))})` : ""}${fieldErrors(data)}`,
  );
}

/** The fields a 400 names (problem `errors`), one per line, so the person sees which input was refused and why. */
function fieldErrors(data: Record<string, unknown>): string {
  if (!Array.isArray(data.errors)) return "";
  const lines = data.errors
    .filter((e): e is { path: unknown; message: unknown } => typeof e === "object" && e !== null)
    .map((e) => `\n  ${printable(String(e.path || "(body)"))}: ${printable(String(e.message))}`);
  return lines.join("");
}
