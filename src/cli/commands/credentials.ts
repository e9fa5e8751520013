/**
 * `latchkey credentials list | show | create | rotate | revoke | setup-code`: manage credentials from the
 * terminal as a signed-in person (`latchkey login`) or a management credential. Every check is the server's
 * (the same endpoints as the console): a viewer's create is refused there (exit 6). New secrets and setup
 * codes are shown once, as the console shows them; `create --setup-code` prints the one line to paste on the
 * target machine.
 */
import { expectPositionals, parseCommandArgs } from "../args.js";
import { adminApi } from "../admin-session.js";
import { ExitCode, usage } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { printable } from "../printable.js";
import { printFields, printJson, printTable, type Column } from "../table.js";

export const CREDENTIALS_HELP = `Usage: latchkey credentials <list|show|create|rotate|revoke|setup-code> [options]

  list                          credentials of your tenant [--status S] [--group G]
  show <client_id>              one credential with its secrets and keys
  create <label> --grant RESOURCE=SCOPE[,SCOPE...] [--grant ...] [--group G ...]
                                [--setup-code [--secret-mode]]
                                a new credential: prints its client secret once, or with
                                --setup-code the one line to paste on the target machine
  rotate <client_id> [--grace SECONDS]   a new secret (shown once); old ones expire after the grace
  revoke <client_id> --confirm LABEL     revoke for good (LABEL must be the credential's label)
  setup-code <client_id> [--secret-mode] a one-time setup code for the target machine

Options:
  --profile NAME     profile to act with: a person's sign-in (latchkey login) or a
                     management credential (default $LATCHKEY_PROFILE or "default")
  --json             print the server's JSON instead of a table
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

type Json = Record<string, unknown>;

const COLUMNS: Column<Json>[] = [
  ["client_id", (c) => c.client_id],
  ["label", (c) => c.label],
  ["status", (c) => c.status],
  ["scopes", (c) => c.scopes],
  ["groups", (c) => c.groups],
  ["last_used_at", (c) => c.last_used_at],
];

function grantsOf(values: string[] | undefined): { resource: string; scopes: string[] }[] {
  if (!values?.length) throw usage("`credentials create` needs at least one --grant RESOURCE=SCOPE[,SCOPE...].");
  return values.map((value) => {
    const at = value.lastIndexOf("=");
    const scopes =
      at < 0
        ? []
        : value
            .slice(at + 1)
            .split(",")
            .filter(Boolean);
    if (at < 1 || scopes.length === 0)
      throw usage(`--grant "${value.slice(0, 100)}" is not RESOURCE=SCOPE[,SCOPE...].`);
    return { resource: value.slice(0, at), scopes };
  });
}

function showSecretOrCode(io: Io, body: Json): void {
  const code = body.setup_code as Json | undefined;
  if (code) {
    io.stdout(`\nRun this on the target machine (valid until ${printable(String(code.expires_at))}, once):\n\n`);
    io.stdout(`  ${printable(String(code.command))}\n`);
  }
  if (typeof body.client_secret === "string") {
    io.stdout(`\nclient_secret (shown once, store it now): ${printable(body.client_secret)}\n`);
  }
}

/** Runs `latchkey credentials ...`. */
export async function credentialsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("credentials", argv, {
    profile: { type: "string" },
    json: { type: "boolean" },
    status: { type: "string" },
    group: { type: "string", multiple: true },
    grant: { type: "string", multiple: true },
    "setup-code": { type: "boolean" },
    "secret-mode": { type: "boolean" },
    grace: { type: "string" },
    confirm: { type: "string" },
  });
  if (values.help || positionals.length === 0) {
    io.stdout(CREDENTIALS_HELP);
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const [sub, ...args] = positionals;
  const api = await adminApi(io, values.profile);
  const id = () => encodeURIComponent(args[0] as string);
  const mode = values["secret-mode"] ? "secret" : "key";
  let body: Json;
  switch (sub) {
    case "list": {
      expectPositionals("credentials list", args, []);
      const q = new URLSearchParams();
      if (values.status) q.set("status", values.status);
      if (values.group?.[0]) q.set("group", values.group[0]);
      body = await api.call("GET", `/credentials${q.size ? `?${q}` : ""}`);
      if (values.json) printJson(io, body);
      else printTable(io, COLUMNS, body.credentials as Json[]);
      return ExitCode.ok;
    }
    case "show":
      expectPositionals("credentials show", args, ["client_id"]);
      body = await api.call("GET", `/credentials/${id()}`);
      break;
    case "create":
      expectPositionals("credentials create", args, ["label"]);
      body = await api.call("POST", "/credentials", {
        label: args[0],
        grants: grantsOf(values.grant),
        groups: values.group ?? [],
        ...(values["setup-code"] ? { delivery: "setup_code", mode } : {}),
      });
      break;
    case "rotate":
      expectPositionals("credentials rotate", args, ["client_id"]);
      body = await api.call("POST", `/credentials/${id()}/secrets`, {
        ...(values.grace ? { grace_period_seconds: Number(values.grace) } : {}),
      });
      break;
    case "revoke":
      expectPositionals("credentials revoke", args, ["client_id"]);
      if (!values.confirm) throw usage("`credentials revoke` needs --confirm <label> (the credential's exact label).");
      body = await api.call("POST", `/credentials/${id()}/revoke`, { confirm_label: values.confirm });
      break;
    case "setup-code":
      expectPositionals("credentials setup-code", args, ["client_id"]);
      body = await api.call("POST", `/credentials/${id()}/setup-codes`, { mode });
      break;
    default:
      throw usage(`Unknown subcommand "${String(sub).slice(0, 40)}". Run \`latchkey credentials --help\`.`);
  }
  if (values.json) {
    printJson(io, body);
    return ExitCode.ok;
  }
  const credential = (body.credential as Json | undefined) ?? body;
  printFields(io, [
    ["client_id", credential.client_id],
    ["label", credential.label],
    ["status", credential.status],
    [
      "grants",
      (credential.grants as Json[] | undefined)?.map((g) => `${g.resource}=${(g.scopes as string[]).join(",")}`),
    ],
    ["groups", credential.groups],
    ["created_at", credential.created_at],
    ["created_by", credential.created_by],
    ["last_used_at", credential.last_used_at],
    ...detailFields(credential),
  ]);
  showSecretOrCode(io, body);
  return ExitCode.ok;
}

/** The detail view's secrets, keys and setup state (`show`), one line each; nothing for other answers. */
function detailFields(credential: Json): [string, unknown][] {
  const fields: [string, unknown][] = [];
  const secrets = credential.secrets as Json[] | undefined;
  if (secrets)
    fields.push([
      "secrets",
      secrets.map((x) => `${x.id} (...${x.hint}, ${x.status}, expires ${x.expires_at ?? "never"})`).join("; "),
    ]);
  const keys = credential.keys as Json[] | undefined;
  if (keys) fields.push(["keys", keys.map((k) => `${k.id} (${k.alg}, ${k.thumbprint}, ${k.status})`).join("; ")]);
  const setup = credential.setup as Json | undefined;
  if (setup) fields.push(["setup", `${setup.status}${setup.claimed_hostname ? ` by ${setup.claimed_hostname}` : ""}`]);
  return fields;
}
