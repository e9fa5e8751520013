/**
 * `latchkey login <server>`: signs a person in from the terminal with the device grant (RFC 8628). It prints
 * the code and the console link, polls until the person approves (or denies) in the console, and stores the
 * refresh and access tokens in the profile (0600, never printed). The admin commands then act as that person,
 * with exactly what their role allows; `latchkey logout` ends the session on the server too.
 */
import { discover } from "../../client/discovery.js";
import { expectPositionals, parseCommandArgs, parseServerUrl } from "../args.js";
import { endPersonSession, pollForTokens, startDeviceLogin, CLI_CLIENT_ID } from "../device-login.js";
import { CliError, ExitCode, fromTokenError } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { printable } from "../printable.js";
import { checkProfileName, DEFAULT_PROFILE, loadProfile, saveProfile } from "../profiles.js";
import { configDir } from "../store.js";

export const LOGIN_HELP = `Usage: latchkey login <server> [options]

Sign in as yourself from this terminal (OAuth 2.0 device authorization, RFC 8628).
latchkey prints a code and a link; open the link, sign in to the console, check
that the code matches and approve. The admin commands (credentials, resources,
audit) then act as you, with what your role allows. The sign-in lasts 30 days
and is listed in the console under Sessions as "latchkey CLI on <host>".

Options:
  --profile NAME     profile to store the sign-in in (default $LATCHKEY_PROFILE or "default")
  --hostname H       the host name the console shows (default: this machine's)
  --force            replace an existing profile of that name
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `latchkey login`. */
export async function loginCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("login", argv, {
    profile: { type: "string" },
    hostname: { type: "string" },
    force: { type: "boolean" },
  });
  if (values.help) {
    io.stdout(LOGIN_HELP);
    return ExitCode.ok;
  }
  expectPositionals("login", positionals, ["server"]);
  const server = parseServerUrl(positionals[0] as string);
  const dir = configDir(io.env, io.homedir());
  const name = checkProfileName(values.profile ?? io.env.LATCHKEY_PROFILE ?? DEFAULT_PROFILE);
  const existing = await loadProfile(dir, name);
  if (existing && !values.force && existing.auth_method !== "device_login") {
    throw new CliError(ExitCode.usage, `Profile "${name}" holds a credential; use --profile or --force.`);
  }
  let meta: Awaited<ReturnType<typeof discover>>;
  try {
    meta = await discover(server, { fetch: io.fetch });
  } catch (error) {
    throw fromTokenError(error, server);
  }
  const endpoint = (meta as { device_authorization_endpoint?: unknown }).device_authorization_endpoint;
  if (typeof endpoint !== "string") throw new CliError(ExitCode.error, `${server} does not offer device sign-in.`);
  const start = await startDeviceLogin(io.fetch, endpoint, values.hostname ?? io.hostname());
  const link = start.verification_uri_complete ?? start.verification_uri;
  io.stdout(`To sign in, open this link and check that the console shows the same code:\n\n`);
  io.stdout(`  ${printable(link)}\n\n  Code: ${printable(start.user_code)}\n\nWaiting for approval...\n`);
  const obtainedAt = io.now();
  const tokens = await pollForTokens(io.fetch, meta.token_endpoint, start, { now: io.now, sleep });
  if (existing?.auth_method === "device_login" && existing.refresh_token) {
    await endPersonSession(io.fetch, existing.issuer, existing.refresh_token).catch(() => undefined);
  }
  const me = await whoAmI(io, meta.issuer, tokens.access_token);
  await saveProfile(dir, {
    version: 1,
    name,
    issuer: meta.issuer,
    token_endpoint: meta.token_endpoint,
    client_id: CLI_CLIENT_ID,
    auth_method: "device_login",
    refresh_token: tokens.refresh_token,
    access_token: tokens.access_token,
    access_expires_at: obtainedAt + tokens.expires_in * 1000,
    person: me.person,
    role: me.role,
    created_at: new Date(io.now()).toISOString(),
  });
  io.stdout(`Signed in as ${printable(me.person)} (${printable(me.role)}) in profile "${name}".\n`);
  return ExitCode.ok;
}

async function whoAmI(io: Io, issuer: string, token: string): Promise<{ person: string; role: string }> {
  const res = await io.fetch(`${issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json().catch(() => ({}))) as { user?: { email?: string; role?: string } };
  return { person: `user:${body.user?.email ?? "unknown"}`, role: body.user?.role ?? "unknown" };
}
