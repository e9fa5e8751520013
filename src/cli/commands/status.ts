/**
 * `latchkey status`: what is configured. Profiles (issuer, client id, auth method, key id), the
 * environment credential when set, and the expiry of cached tokens. Never a secret, key or token.
 */
import { expectPositionals, parseCommandArgs } from "../args.js";
import { hasEnvCredential } from "../credentials.js";
import { ExitCode } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { checkProfileName, listProfiles, publicView, requireProfile, type Profile } from "../profiles.js";
import { printable } from "../printable.js";
import { configDir } from "../store.js";
import { listCache, readCache } from "../token-cache.js";

export const STATUS_HELP = `Usage: latchkey status [options]

Show the configured profiles (issuer, client id, auth method) and the expiry of
cached tokens. Prints nothing secret.

Options:
  --profile NAME     show only this profile
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

/** Runs `latchkey status`. */
export async function statusCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("status", argv, { profile: { type: "string" } });
  if (values.help) {
    io.stdout(STATUS_HELP);
    return ExitCode.ok;
  }
  expectPositionals("status", positionals, []);
  const dir = configDir(io.env, io.homedir());
  io.stdout(`Config directory: ${dir}\n`);
  if (hasEnvCredential(io.env)) {
    const method = io.env.LATCHKEY_PRIVATE_KEY_FILE ? "private_key_jwt" : "client_secret_basic";
    io.stdout(
      `\nEnvironment credential (used instead of profiles):\n  issuer:    ${io.env.LATCHKEY_URL ?? "(LATCHKEY_URL not set)"}\n`,
    );
    io.stdout(`  client_id: ${io.env.LATCHKEY_CLIENT_ID}\n  auth:      ${method}\n`);
    await printCache(dir, "_env", io);
  }
  const names = values.profile ? [checkProfileName(values.profile)] : await listProfiles(dir);
  if (names.length === 0 && !hasEnvCredential(io.env)) {
    io.stdout("\nNo profiles. Run `latchkey setup <server> <code>` with a setup code from an admin.\n");
    return ExitCode.ok;
  }
  for (const name of names) {
    let profile: Profile;
    try {
      profile = await requireProfile(dir, name);
    } catch (error) {
      if (values.profile) throw error;
      io.stdout(`\nProfile "${name}": unreadable\n`);
      continue;
    }
    const view = publicView(profile);
    io.stdout(`\nProfile "${name}":\n`);
    for (const [key, value] of Object.entries(view))
      if (key !== "profile") io.stdout(`  ${`${key}:`.padEnd(13)}${printable(value)}\n`);
    await printCache(dir, name, io);
  }
  return ExitCode.ok;
}

async function printCache(dir: string, source: string, io: Io): Promise<void> {
  const now = io.now();
  const entries = (await Promise.all((await listCache(dir, source)).map(readCache))).filter((e) => e !== undefined);
  if (entries.length === 0) return io.stdout("  cached tokens: none\n");
  io.stdout("  cached tokens:\n");
  for (const e of entries.sort((a, b) => a.expires_at - b.expires_at)) {
    const left = e.expires_at - now;
    const when =
      left > 0 ? `expires ${new Date(e.expires_at).toISOString()} (in ${Math.ceil(left / 60_000)} min)` : "expired";
    const what = [e.scope ? `scope "${e.scope}"` : "default scope", e.resource ? `resource ${e.resource}` : ""]
      .filter(Boolean)
      .join(", ");
    io.stdout(`    ${printable(what)}: ${when}\n`);
  }
}
