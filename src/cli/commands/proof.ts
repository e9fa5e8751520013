/**
 * `latchkey proof`: prints one DPoP proof (RFC 9449) for one request, signed with the profile's DPoP key;
 * with --token it carries `ath` for the profile's DPoP-bound token, which `latchkey token --dpop` prints.
 * A proof is single use: make one per request.
 */
import { createDpopProof } from "../../client/dpop.js";
import { expectPositionals, parseCommandArgs } from "../args.js";
import { dpopSession, SESSION_OPTIONS } from "../dpop-session.js";
import { ExitCode, usage } from "../errors.js";
import type { Io } from "../io.js";

export const PROOF_HELP = `Usage: latchkey proof --method METHOD --url URL [options]

Print a DPoP proof (RFC 9449) for one request, e.g.
  curl -H "Authorization: DPoP $(latchkey token --dpop)" \\
       -H "DPoP: $(latchkey proof --method GET --url https://api.example.com/x --token)" \\
       https://api.example.com/x

Options:
  --method M         the request's HTTP method (required)
  --url URL          the request's URL (required; query and fragment are left out of htu)
  --token            include ath for the profile's DPoP-bound token (what \`latchkey token --dpop\` prints)
  --nonce N          the server's DPoP-Nonce, when it asked for one
  --profile NAME, --scope S, --resource R   choose the token, as for \`latchkey token\`
  -h, --help         show this help
`;

/** Runs `latchkey proof`. */
export async function proofCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("proof", argv, {
    ...SESSION_OPTIONS,
    method: { type: "string" },
    url: { type: "string" },
    token: { type: "boolean" },
    nonce: { type: "string" },
  });
  if (values.help) {
    io.stdout(PROOF_HELP);
    return ExitCode.ok;
  }
  expectPositionals("proof", positionals, []);
  if (!values.method || !/^[A-Za-z]+$/.test(values.method)) throw usage("--method is required (e.g. GET).");
  if (!values.url || !URL.canParse(values.url)) throw usage("--url is required and must be an absolute URL.");
  const session = await dpopSession(values, io);
  const accessToken = values.token ? (await session.token()).access_token : undefined;
  const proof = await createDpopProof(session.key, {
    method: values.method,
    url: values.url,
    now: Math.floor(io.now() / 1000),
    ...(accessToken ? { accessToken } : {}),
    ...(values.nonce ? { nonce: values.nonce } : {}),
  });
  io.stdout(`${proof}\n`);
  return ExitCode.ok;
}
