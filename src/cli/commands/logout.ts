/**
 * `latchkey logout`: forgets a profile (its private key or secret) and its cached tokens on this
 * machine. It does not revoke a credential on the server (an admin does that in the console); a person's
 * sign-in (`latchkey login`) is ended on the server first, with its refresh token.
 */
import { expectPositionals, parseCommandArgs } from "../args.js";
import { CliError, ExitCode } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { endPersonSession } from "../device-login.js";
import { printable } from "../printable.js";
import { chooseProfile, deleteProfile, loadProfile } from "../profiles.js";
import { configDir } from "../store.js";
import { clearCache } from "../token-cache.js";
import { forgetDpopKeys } from "../dpop-key.js";

export const LOGOUT_HELP = `Usage: latchkey logout [options]

Forget a profile and its cached tokens on this machine. A sign-in made with
\`latchkey login\` is also ended on the server. A credential is not revoked on the
server; ask an admin to revoke it if it may have leaked.

Options:
  --profile NAME     profile to forget (default $LATCHKEY_PROFILE or "default")
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

/** Runs `latchkey logout`. */
export async function logoutCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("logout", argv, { profile: { type: "string" } });
  if (values.help) {
    io.stdout(LOGOUT_HELP);
    return ExitCode.ok;
  }
  expectPositionals("logout", positionals, []);
  const dir = configDir(io.env, io.homedir());
  const name = chooseProfile(values.profile, io.env);
  const profile = await loadProfile(dir, name).catch(() => undefined);
  if (profile?.auth_method === "device_login" && profile.refresh_token) {
    await endPersonSession(io.fetch, profile.issuer, profile.refresh_token);
    io.stdout(`Ended the sign-in of ${printable(profile.person ?? "this profile")} on ${printable(profile.issuer)}.
`);
  }
  const cleared = await clearCache(dir, name);
  await forgetDpopKeys(dir, name);
  const existed = await deleteProfile(dir, name);
  if (!existed) {
    if (cleared > 0) {
      io.stdout(`Removed ${cleared} cached token(s) of "${name}".\n`);
      return ExitCode.ok;
    }
    throw new CliError(ExitCode.error, `No profile "${name}".`);
  }
  io.stdout(`Forgot profile "${name}" and ${cleared} cached token(s).\n`);
  return ExitCode.ok;
}
