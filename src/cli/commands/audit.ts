/**
 * `latchkey audit`: the tenant's audit log, newest first, with the console's filters (actor, action, target,
 * time range, limit). Needs audit:read, which every role holds.
 */
import { expectPositionals, parseCommandArgs } from "../args.js";
import { adminApi } from "../admin-session.js";
import { ExitCode } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { printJson, printTable } from "../table.js";

export const AUDIT_HELP = `Usage: latchkey audit [options]

Show the audit log of your tenant, newest first.

Options:
  --actor A          only events by this actor (svc:<label>, user:<email>, ...)
  --action A         only this action (e.g. credential.create, auth.device_sign_in)
  --target ID        only events about this target (a client_id, session id, ...)
  --since TIME       only events at or after TIME (ISO 8601, e.g. 2026-12-01T00:00:00Z)
  --until TIME       only events at or before TIME
  --limit N          at most N events (default 100, at most 500)
  --profile NAME     a person's sign-in or a management credential
  --json             print the server's JSON instead of a table
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

const FILTERS = ["actor", "action", "target", "since", "until", "limit"] as const;

/** Runs `latchkey audit`. */
export async function auditCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("audit", argv, {
    profile: { type: "string" },
    json: { type: "boolean" },
    ...Object.fromEntries(FILTERS.map((f) => [f, { type: "string" as const }])),
  });
  if (values.help) {
    io.stdout(AUDIT_HELP);
    return ExitCode.ok;
  }
  expectPositionals("audit", positionals, []);
  const q = new URLSearchParams();
  for (const f of FILTERS) {
    const value = (values as Record<string, unknown>)[f];
    if (typeof value === "string") q.set(f, value);
  }
  const api = await adminApi(io, values.profile as string | undefined);
  const body = await api.call("GET", `/audit${q.size ? `?${q}` : ""}`);
  if (values.json) printJson(io, body);
  else
    printTable(
      io,
      [
        ["at", (e) => e.at],
        ["actor", (e) => e.actor],
        ["action", (e) => e.action],
        ["target", (e) => e.target_id],
        ["ip", (e) => e.ip],
      ],
      body.events as Record<string, unknown>[],
    );
  return ExitCode.ok;
}
