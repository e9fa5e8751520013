/**
 * `latchkey curl`: runs one HTTP request with the profile's DPoP-bound token and a fresh proof (RFC 9449),
 * so a shell script needs no JOSE code: `Authorization: DPoP <token>` and `DPoP: <proof>` with `ath`, retried
 * once with the server's nonce on a 401 `use_dpop_nonce`. A curl-like subset (-X, -H, -d, -i), run with
 * fetch, not the curl binary. The body goes to stdout; an HTTP status of 400 or more exits 1 (like curl's
 * --fail-with-body).
 */
import { authorizedFetch } from "../../client/dpop-fetch.js";
import { expectPositionals, parseCommandArgs } from "../args.js";
import { dpopSession, SESSION_OPTIONS } from "../dpop-session.js";
import { CliError, describeNetworkError, ExitCode, usage } from "../errors.js";
import type { Io } from "../io.js";

export const CURL_HELP = `Usage: latchkey curl [options] URL

Run one request with the profile's DPoP-bound token and a fresh DPoP proof, e.g.
  latchkey curl https://api.example.com/things
  latchkey curl -X POST -H "content-type: application/json" -d '{"a":1}' https://api.example.com/things

Options:
  -X, --request M    HTTP method (default GET, or POST with -d)
  -H, --header H     a request header "Name: value" (repeatable)
  -d, --data D       the request body
  -i, --include      print the status line and response headers before the body
  --profile NAME, --scope S, --resource R   choose the token, as for \`latchkey token\`
  -h, --help         show this help

Exit status: 0 for HTTP status below 400, 1 otherwise (the body is still printed).
`;

function parseHeaders(lines: string[]): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const at = line.indexOf(":");
    if (at <= 0) throw usage(`Header "${line.slice(0, 60)}" must be "Name: value".`);
    headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}

/** Runs `latchkey curl`. */
export async function curlCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("curl", argv, {
    ...SESSION_OPTIONS,
    request: { type: "string", short: "X" },
    header: { type: "string", short: "H", multiple: true },
    data: { type: "string", short: "d" },
    include: { type: "boolean", short: "i" },
  });
  if (values.help) {
    io.stdout(CURL_HELP);
    return ExitCode.ok;
  }
  expectPositionals("curl", positionals, ["url"]);
  const url = positionals[0] as string;
  if (!URL.canParse(url)) throw usage("The URL must be absolute, e.g. https://api.example.com/things.");
  const headers = parseHeaders(values.header ?? []);
  const method = values.request ?? (values.data === undefined ? "GET" : "POST");
  const session = await dpopSession(values, io);
  const send = authorizedFetch({
    getToken: async () => {
      const t = await session.token();
      return { accessToken: t.access_token, tokenType: t.token_type, expiresAt: t.expires_at, scope: t.scope };
    },
    dpopKey: async () => session.key,
    fetch: io.fetch,
    nonces: new Map(),
  });
  let response: Response;
  try {
    response = await send(url, { method, headers, ...(values.data === undefined ? {} : { body: values.data }) });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(ExitCode.unreachable, `Could not reach ${new URL(url).origin}: ${describeNetworkError(error)}.`);
  }
  if (values.include) {
    io.stdout(`HTTP ${response.status} ${response.statusText}\n`);
    response.headers.forEach((value, name) => {
      io.stdout(`${name}: ${value}\n`);
    });
    io.stdout("\n");
  }
  io.stdout(await response.text());
  return response.status >= 400 ? ExitCode.error : ExitCode.ok;
}
