/**
 * Argument parsing on node's `util.parseArgs`, strict: an unknown option or a missing value is a usage
 * error (exit 2) that points at the command's --help. Commands declare their options as plain objects.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isLoopbackHost } from "../client/secure-url.js";
import { usage } from "./errors.js";

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` for `command`, turning parseArgs errors into usage errors. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : "invalid arguments";
    throw usage(`${message}\nRun \`latchkey ${command} --help\` for usage.`);
  }
}

/** Checks the number of positional arguments. */
export function expectPositionals(command: string, positionals: string[], names: string[]): void {
  if (positionals.length !== names.length) {
    const wanted = names.length ? names.map((n) => `<${n}>`).join(" ") : "no arguments";
    throw usage(`\`latchkey ${command}\` takes ${wanted}.\nRun \`latchkey ${command} --help\` for usage.`);
  }
}

/** Parses a server URL: https, or http to loopback only; no query or fragment; trailing slashes removed. */
export function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`"${value.slice(0, 200)}" is not a URL. Give the server's base URL, e.g. https://latchkey.example.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw usage("The server URL must start with https://.");
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw usage(
      "The server URL must use https:// (plain http:// is allowed only for loopback: 127.0.0.0/8, ::1, localhost).",
    );
  }
  if (url.search || url.hash || url.username || url.password)
    throw usage("The server URL must not carry a query, fragment or credentials.");
  return url.href.replace(/\/+$/, "");
}
