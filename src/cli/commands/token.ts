/**
 * `latchkey token`: prints only an access token on stdout, for `$(latchkey token)`. Tokens are cached
 * per profile, scope and resource and reused until ~80% of their lifetime; concurrent runs share one
 * mint through a lock file. A refusal is remembered across runs (backoff.ts), with or without --no-cache.
 * A read-only config directory only disables the cache and that memory. --federated and
 * --federated-token-file exchange the workload's own OIDC token instead of using a secret (../federated.ts).
 * With --dpop the token is bound to the profile's DPoP key (dpop-key.ts) and cached apart from Bearer tokens,
 * under that key's thumbprint.
 */
import { decodeJwt } from "jose";
import type { DpopKey } from "../../client/dpop.js";
import { requestToken } from "../../client/token-request.js";
import { backoffPath, rememberedRefusal, rememberRefusal } from "../backoff.js";
import { parseCommandArgs, expectPositionals } from "../args.js";
import { resolveCredential, tokenEndpointOf, type ResolvedCredential } from "../credentials.js";
import { CliError, ExitCode, fromTokenError, usage } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { chooseProfile } from "../profiles.js";
import { printable } from "../printable.js";
import { dpopKeyFor } from "../dpop-key.js";
import { configDir } from "../store.js";
import { cachePath, cachedOrMint, canonicalScope, type CachedToken } from "../token-cache.js";

export const TOKEN_HELP = `Usage: latchkey token [options]

Print an access token (only the token) on stdout, e.g.
  curl -H "Authorization: Bearer $(latchkey token)" https://api.example.com/

Tokens are cached under <config>/cache and reused until 80% of their lifetime.
After a refusal no request is sent for a while, also from other runs: 30 s after
invalid_client (exit 3), until Retry-After has passed after a 429.

Options:
  --profile NAME     profile to use (default $LATCHKEY_PROFILE or "default")
  --scope S          scopes to request, space-separated (default: the credential's)
  --resource R       resource (audience) URI to request (default: the credential's)
  --no-cache         always mint a new token; do not read or write the cache
  --federated github-actions
                     no secret: exchange the job's GitHub Actions OIDC token (RFC 8693);
                     needs LATCHKEY_URL, LATCHKEY_CLIENT_ID and \`permissions: id-token: write\`
  --federated-token-file PATH
                     no secret: exchange the OIDC token in PATH (GitLab id_tokens,
                     a Kubernetes projected service-account token), read at every mint
  --federated-audience AUD
                     the audience to ask GitHub for (default: LATCHKEY_URL)
  --dpop             mint a DPoP-bound token (RFC 9449) with the profile's DPoP key;
                     send it with \`latchkey curl\` or a proof from \`latchkey proof\`
  -h, --help         show this help

${EXIT_CODES_HELP}

${ENV_HELP}
`;

/** Options of one mint. */
export interface MintOptions {
  scope?: string;
  resource?: string;
  noCache?: boolean;
  /** Bind the token to this DPoP key. */
  dpop?: DpopKey;
}

/** Runs `latchkey token`. */
export async function tokenCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("token", argv, {
    profile: { type: "string" },
    scope: { type: "string" },
    resource: { type: "string" },
    "no-cache": { type: "boolean" },
    federated: { type: "string" },
    "federated-token-file": { type: "string" },
    "federated-audience": { type: "string" },
    dpop: { type: "boolean" },
  });
  if (values.help) {
    io.stdout(TOKEN_HELP);
    return ExitCode.ok;
  }
  expectPositionals("token", positionals, []);
  const dir = configDir(io.env, io.homedir());
  const env = federatedEnv(io.env, values);
  const credential = await resolveCredential(env, dir, chooseProfile(values.profile, env), io.fetch);
  const scope = values.scope ?? io.env.LATCHKEY_SCOPE;
  const resource = values.resource ?? io.env.LATCHKEY_RESOURCE;
  const entry = await mintForCredential(credential, dir, io, {
    ...(scope ? { scope } : {}),
    ...(resource ? { resource } : {}),
    noCache: values["no-cache"] === true,
    ...(values.dpop ? { dpop: await dpopKeyFor(dir, credential) } : {}),
  });
  io.stdout(`${printable(entry.access_token)}\n`);
  return ExitCode.ok;
}

/** The environment with the --federated flags applied: they stand for LATCHKEY_FEDERATED(_AUDIENCE). */
function federatedEnv(
  env: Record<string, string | undefined>,
  values: { federated?: string; "federated-token-file"?: string; "federated-audience"?: string },
): Record<string, string | undefined> {
  const file = values["federated-token-file"];
  if (values.federated !== undefined && file !== undefined)
    throw usage("Give --federated or --federated-token-file, not both.");
  if (values.federated !== undefined && values.federated !== "github-actions")
    throw usage('--federated takes "github-actions" (for other platforms use --federated-token-file PATH).');
  const spec = file !== undefined ? `file:${file}` : values.federated;
  if (spec === undefined) return env;
  const audience = values["federated-audience"];
  return { ...env, LATCHKEY_FEDERATED: spec, ...(audience ? { LATCHKEY_FEDERATED_AUDIENCE: audience } : {}) };
}

/** Returns a cached token or mints one (see the module header). */
export async function mintForCredential(
  cred: ResolvedCredential,
  dir: string,
  io: Io,
  options: MintOptions,
): Promise<CachedToken> {
  const scope = options.scope ? canonicalScope(options.scope) : undefined;
  const mint = () => mintOnce(cred, dir, io, scope, options.resource, options.dpop);
  if (options.noCache) return mint();
  const path = cachePath(dir, cred.source, {
    issuer: cred.issuer,
    clientId: cred.clientId,
    scope,
    resource: options.resource,
    ...(options.dpop ? { dpopJkt: options.dpop.jkt } : {}),
  });
  try {
    return (await cachedOrMint(path, mint, { now: io.now })).entry;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    io.stderr(`latchkey: token cache unavailable (${code}); minting without it.\n`);
    return mint();
  }
}

async function mintOnce(
  cred: ResolvedCredential,
  dir: string,
  io: Io,
  scope?: string,
  resource?: string,
  dpop?: DpopKey,
): Promise<CachedToken> {
  const backoff = backoffPath(dir, cred.source, cred.issuer, cred.clientId);
  const remembered = await rememberedRefusal(backoff, io.now());
  if (remembered) {
    const error = fromTokenError(remembered, cred.issuer);
    throw new CliError(
      error.exitCode,
      `${error.message} (Remembered from an earlier refusal: not asking the server again for ${remembered.retryAfter} s.)`,
    );
  }
  const tokenEndpoint = await tokenEndpointOf(cred, io.fetch);
  const obtainedAt = io.now();
  try {
    const token = await requestToken({
      tokenEndpoint,
      issuer: cred.issuer,
      credential: cred.credential,
      fetch: io.fetch,
      now: obtainedAt,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
      ...(dpop ? { dpop: { key: dpop } } : {}),
    });
    return {
      access_token: token.accessToken,
      token_type: token.tokenType,
      scope: token.scope,
      ...(resource ? { resource } : {}),
      ...(dpop && token.tokenType === "DPoP" ? { dpop_jkt: dpop.jkt } : {}),
      obtained_at: obtainedAt,
      expires_at: token.expiresAt,
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    await rememberRefusal(backoff, error, io.now());
    throw fromTokenError(error, new URL(tokenEndpoint).origin);
  }
}

/** Human description of a token's claims (no token, nothing secret). */
export function describeToken(entry: CachedToken, now: number, extra: Record<string, string> = {}): string {
  let claims: Record<string, unknown> = {};
  try {
    claims = decodeJwt(entry.access_token);
  } catch {
    claims = {};
  }
  const aud = Array.isArray(claims.aud) ? claims.aud.join(", ") : claims.aud;
  const minutes = Math.round((entry.expires_at - now) / 60_000);
  const rows: [string, unknown][] = [
    ["service", claims.svc],
    ["client_id", claims.client_id ?? extra.client_id],
    ["issuer", extra.issuer ?? claims.iss],
    ["auth", extra.auth],
    ["scopes", entry.scope || "(none)"],
    ["audience", aud],
    ["expires", `${new Date(entry.expires_at).toISOString()} (in ${minutes} min)`],
  ];
  return rows
    .filter(([, v]) => typeof v === "string" && v.length > 0)
    .map(([k, v]) => `  ${`${k}:`.padEnd(11)}${printable(v as string)}\n`)
    .join("");
}
