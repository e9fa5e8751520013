/**
 * `latchkey resources list | create`: the tenant's resources (APIs) and their scopes, as the console shows
 * them. Creating needs resources:write, which the server checks (a viewer is refused, exit 6).
 */
import { expectPositionals, parseCommandArgs } from "../args.js";
import { adminApi } from "../admin-session.js";
import { ExitCode, usage } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { printFields, printJson, printTable } from "../table.js";

export const RESOURCES_HELP = `Usage: latchkey resources <list|create> [options]

  list                                   resources and their scopes
  create <uri> --name NAME --scope S [--scope S ...] [--write-scope S ...]
                                         define a resource; --write-scope marks a write scope

Options:
  --profile NAME     a person's sign-in or a management credential (default $LATCHKEY_PROFILE or "default")
  --json             print the server's JSON instead of a table
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

type Json = Record<string, unknown>;
const scopeNames = (r: Json) => (r.scopes as Json[]).map((s) => (s.write ? `${s.name}(write)` : s.name));

/** Runs `latchkey resources ...`. */
export async function resourcesCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("resources", argv, {
    profile: { type: "string" },
    json: { type: "boolean" },
    name: { type: "string" },
    scope: { type: "string", multiple: true },
    "write-scope": { type: "string", multiple: true },
  });
  if (values.help || positionals.length === 0) {
    io.stdout(RESOURCES_HELP);
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const [sub, ...args] = positionals;
  if (sub !== "list" && sub !== "create") {
    throw usage(`Unknown subcommand "${String(sub).slice(0, 40)}". Run \`latchkey resources --help\`.`);
  }
  const api = await adminApi(io, values.profile);
  if (sub === "list") {
    expectPositionals("resources list", args, []);
    const body = await api.call("GET", "/resources");
    if (values.json) printJson(io, body);
    else
      printTable(
        io,
        [
          ["uri", (r) => r.uri],
          ["name", (r) => r.name],
          ["scopes", scopeNames],
        ],
        body.resources as Json[],
      );
    return ExitCode.ok;
  }
  expectPositionals("resources create", args, ["uri"]);
  const read = values.scope ?? [];
  const write = values["write-scope"] ?? [];
  if (!values.name || read.length + write.length === 0) {
    throw usage("`resources create` needs --name and at least one --scope or --write-scope.");
  }
  const scopes = [...read.map((name) => ({ name })), ...write.map((name) => ({ name, write: true }))];
  const body = await api.call("POST", "/resources", { uri: args[0], name: values.name, scopes });
  if (values.json) printJson(io, body);
  else
    printFields(io, [
      ["uri", body.uri],
      ["name", body.name],
      ["scopes", scopeNames(body)],
    ]);
  return ExitCode.ok;
}
