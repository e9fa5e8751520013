/**
 * The `latchkey` command: dispatches to a subcommand and turns errors into exit codes. `main` takes an
 * injected Io so the whole CLI runs in-process; `runCli` is that with captured output, for tests and
 * e2e suites. The bin entry (bin.ts) wires the real process.
 */
import { CliError, ExitCode } from "./errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "./exit-help.js";
import { processIo, type Io } from "./io.js";
import { printableLines } from "./printable.js";
import { AUDIT_HELP, auditCommand } from "./commands/audit.js";
import { CREDENTIALS_HELP, credentialsCommand } from "./commands/credentials.js";
import { LOGIN_HELP, loginCommand } from "./commands/login.js";
import { LOGOUT_HELP, logoutCommand } from "./commands/logout.js";
import { RESOURCES_HELP, resourcesCommand } from "./commands/resources.js";
import { SETUP_HELP, setupCommand } from "./commands/setup.js";
import { STATUS_HELP, statusCommand } from "./commands/status.js";
import { TOKEN_HELP, tokenCommand } from "./commands/token.js";
import { PROOF_HELP, proofCommand } from "./commands/proof.js";
import { CURL_HELP, curlCommand } from "./commands/curl.js";

declare const __LATCHKEY_VERSION__: string | undefined;

/** The CLI's version (set at bundle time). */
export const VERSION = typeof __LATCHKEY_VERSION__ === "string" ? __LATCHKEY_VERSION__ : "dev";

export const MAIN_HELP = `Usage: latchkey <command> [options]

Service credentials for machines: get OAuth 2.0 access tokens from a Latchkey server.

Commands:
  setup <server> <code>   redeem a setup code and store the credential as a profile
  token                   print an access token (cached) for curl and scripts
  status                  show profiles, client ids and cached token expiry
  logout                  forget a profile and its cached tokens (ends a login on the server)
  login <server>          sign in as yourself (device code approved in the console)
  credentials ...         list, show, create, rotate, revoke credentials; setup codes
  resources ...           list and create resources
  audit                   the audit log, with filters
  proof                   print a DPoP proof for one request (RFC 9449)
  curl <url>              run a request with a DPoP-bound token and a fresh proof

Run \`latchkey <command> --help\` for a command's options.
Options: -h, --help (this help), --version

${EXIT_CODES_HELP}

${ENV_HELP}
`;

type Command = { run: (argv: string[], io: Io) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  setup: { run: setupCommand, help: SETUP_HELP },
  token: { run: tokenCommand, help: TOKEN_HELP },
  status: { run: statusCommand, help: STATUS_HELP },
  logout: { run: logoutCommand, help: LOGOUT_HELP },
  login: { run: loginCommand, help: LOGIN_HELP },
  credentials: { run: credentialsCommand, help: CREDENTIALS_HELP },
  resources: { run: resourcesCommand, help: RESOURCES_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  proof: { run: proofCommand, help: PROOF_HELP },
  curl: { run: curlCommand, help: CURL_HELP },
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") {
    io.stdout(MAIN_HELP);
    return ExitCode.ok;
  }
  if (first === "--version") {
    io.stdout(`${VERSION}\n`);
    return ExitCode.ok;
  }
  if (first === "help") {
    const command = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    io.stdout(command ? command.help : MAIN_HELP);
    return rest[0] === undefined || command ? ExitCode.ok : ExitCode.usage;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!command) {
    io.stderr(`latchkey: unknown command "${first.slice(0, 40)}". Run \`latchkey --help\`.\n`);
    return ExitCode.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`latchkey: ${printableLines(error.message)}\n`);
      return error.exitCode;
    }
    const name = error instanceof Error ? error.name : "Error";
    const code = (error as NodeJS.ErrnoException)?.code;
    const message = printableLines(
      `unexpected ${name}${code ? ` (${code})` : ""}: ${error instanceof Error ? error.message : String(error)}`,
    );
    io.stderr(`latchkey: ${message}\n`);
    return ExitCode.error;
  }
}

/** Result of {@link runCli}. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with its own environment and captured output, e.g.
 * `await runCli(['token', '--profile', 'ci'], { env: { LATCHKEY_CONFIG_DIR: dir } })`.
 * `env` replaces process.env entirely (pass `{...process.env, ...}` to inherit).
 */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; io?: Partial<Io> } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    ...processIo(options.env ?? {}),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    ...options.io,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
