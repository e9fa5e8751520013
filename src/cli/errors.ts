/**
 * Exit codes of the `latchkey` CLI and the one error type commands throw to choose them.
 * Messages are written for people and never contain a secret, a setup code or a token.
 */
import { LatchkeyError } from "../client/errors.js";
import { printable } from "./printable.js";

/** Process exit codes, documented in `latchkey --help` and docs/cli.md. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  credentialRejected: 3,
  setupCodeInvalid: 4,
  unreachable: 5,
  forbidden: 6,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error with a message for the user and the exit code to leave with. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly exitCode: ExitCodeValue,
    message: string,
  ) {
    super(message);
  }
}

/** A usage error (exit 2). */
export function usage(message: string): CliError {
  return new CliError(ExitCode.usage, message);
}

/** Describes why a fetch failed (connection refused, DNS, timeout) from the error chain. */
export function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (e.code === "ECONNREFUSED") return "connection refused (is the server running?)";
    if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return "host name not found (check the URL and DNS)";
    if (e.code === "ECONNRESET") return "connection reset by the server";
    if (e.code === "EHOSTUNREACH" || e.code === "ENETUNREACH") return "network unreachable";
    if (e.name === "TimeoutError" || e.code === "ETIMEDOUT" || e.code === "UND_ERR_CONNECT_TIMEOUT") return "timed out";
    if (typeof e.code === "string" && e.code.startsWith("ERR_TLS")) return "TLS error";
    current = e.cause;
  }
  return "network error";
}

const REVOKED_HINT =
  "The credential was rejected (invalid_client): it was revoked or expired, or its secret/key was retired. " +
  "Ask an admin for a new setup code and run `latchkey setup` again.";

/** Maps an SDK error from a token request to a CliError with the right exit code and a clear message. */
export function fromTokenError(error: unknown, where: string): CliError {
  if (!(error instanceof LatchkeyError)) {
    return new CliError(ExitCode.error, `Unexpected error: ${error instanceof Error ? error.name : "unknown"}`);
  }
  const retry = error.retryAfter === undefined ? "" : ` Retry after ${error.retryAfter} s.`;
  switch (error.code) {
    case "network_error":
      return new CliError(ExitCode.unreachable, `Cannot reach ${where}: ${describeNetworkError(error)}.`);
    case "invalid_client":
    case "unauthorized_client":
      return new CliError(ExitCode.credentialRejected, REVOKED_HINT);
    case "invalid_scope":
      return new CliError(
        ExitCode.error,
        "The server refused the requested scope (invalid_scope): this credential does not hold it.",
      );
    case "invalid_target":
      return new CliError(
        ExitCode.error,
        "The server refused the requested resource (invalid_target): this credential may not use it.",
      );
    case "rate_limited":
      return new CliError(ExitCode.error, `Rate limited by ${where}.${retry}`);
    default:
      if (error.status === 429) return new CliError(ExitCode.error, `Rate limited by ${where}.${retry}`);
      if (error.status >= 502 && error.status <= 504) {
        return new CliError(ExitCode.unreachable, `${where} is unavailable (HTTP ${error.status}).${retry}`);
      }
      return new CliError(ExitCode.error, `${where}: ${printable(error.message)}`);
  }
}
