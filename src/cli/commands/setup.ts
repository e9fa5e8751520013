/**
 * `latchkey setup <server> <code>`: redeems a one-time setup code and stores the credential as a
 * profile. Key mode (default) generates an ES256 key pair here and sends only the public JWK; the
 * private key never leaves this machine. Then mints a real token to prove the setup works.
 */
import { calculateJwkThumbprint, type JWK } from "jose";
import { expectPositionals, parseCommandArgs, parseServerUrl } from "../args.js";
import { CliError, ExitCode, usage } from "../errors.js";
import { ENV_HELP, EXIT_CODES_HELP } from "../exit-help.js";
import type { Io } from "../io.js";
import { DEFAULT_PROFILE, checkProfileName, loadProfile, saveProfile, type Profile } from "../profiles.js";
import { checkServer, redeemCode } from "../redeem.js";
import { printable } from "../printable.js";
import { configDir } from "../store.js";
import { clearCache, type CachedToken } from "../token-cache.js";
import { describeToken, mintForCredential } from "./token.js";
import { profileCredential, publicPart } from "../credentials.js";

export const SETUP_HELP = `Usage: latchkey setup <server> <code> [options]

Redeem a one-time setup code from an admin and store the credential as a profile.
By default an ES256 key pair is generated here and only the public key is sent
(private_key_jwt); --secret asks for a client secret instead, and works only with a
code the admin issued for secret delivery (the command the admin is shown says which).
The setup is then proved by minting a real token.

Options:
  --secret           get a client secret instead of registering a key (the code must be issued for it)
  --profile NAME     profile to create (default "default")
  --hostname H       host name to report to the server (default: this machine's)
  --force            replace an existing profile of that name
  -h, --help         show this help

Example:
  latchkey setup https://latchkey.example.com lksc_...

${EXIT_CODES_HELP}

${ENV_HELP}
`;

const SETUP_CODE = /^lksc_[A-Za-z0-9_-]+$/;

/** Runs `latchkey setup`. */
export async function setupCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("setup", argv, {
    secret: { type: "boolean" },
    profile: { type: "string" },
    hostname: { type: "string" },
    force: { type: "boolean" },
  });
  if (values.help) {
    io.stdout(SETUP_HELP);
    return ExitCode.ok;
  }
  expectPositionals("setup", positionals, ["server", "code"]);
  const server = parseServerUrl(positionals[0]!);
  const code = positionals[1]!;
  if (!SETUP_CODE.test(code)) {
    throw new CliError(
      ExitCode.setupCodeInvalid,
      'That is not a setup code: setup codes start with "lksc_". Check what the admin sent you.',
    );
  }
  const name = checkProfileName(values.profile ?? DEFAULT_PROFILE);
  const hostname = values.hostname ?? io.hostname();
  if (hostname.length > 253) throw usage("--hostname is too long.");
  const dir = configDir(io.env, io.homedir());
  if (!values.force && (await profileExists(dir, name))) {
    throw new CliError(
      ExitCode.error,
      `Profile "${name}" already exists. Use --profile OTHER, or --force to replace it.`,
    );
  }

  const mode = values.secret ? "secret" : "key";
  await checkServer(server, io.fetch, mode);
  const keys = mode === "key" ? await generateKeyPair() : undefined;
  const result = await redeemCode(
    server,
    { code, mode, ...(keys ? { public_jwk: keys.publicJwk } : {}), hostname },
    io.fetch,
    io.now(),
  );
  if (keys && result.key_id !== keys.thumbprint) {
    io.stderr(`Note: the server's key_id differs from this key's RFC 7638 thumbprint; using the server's.\n`);
  }
  const profile: Profile = {
    version: 1,
    name,
    issuer: result.issuer,
    token_endpoint: result.token_endpoint,
    client_id: result.client_id,
    auth_method: keys ? "private_key_jwt" : "client_secret_basic",
    ...(keys
      ? { private_jwk: { ...keys.privateJwk, kid: result.key_id!, alg: "ES256" } }
      : { client_secret: result.client_secret! }),
    ...(result.name ? { service: result.name } : {}),
    created_at: new Date(io.now()).toISOString(),
  };
  await clearCache(dir, name);
  const path = await saveProfile(dir, profile);
  io.stdout(`Saved profile "${name}" to ${path}\n`);
  return proveSetup(profile, dir, io);
}

async function proveSetup(profile: Profile, dir: string, io: Io): Promise<number> {
  let token: CachedToken;
  try {
    token = await mintForCredential(await profileCredential(profile), dir, io, {});
  } catch (error) {
    const message = error instanceof CliError ? error.message : "unexpected error";
    throw new CliError(
      error instanceof CliError ? error.exitCode : ExitCode.error,
      `The credential was stored, but minting a test token failed: ${message}`,
    );
  }
  const auth =
    profile.auth_method === "private_key_jwt"
      ? `private_key_jwt (key id ${profile.private_jwk?.kid})`
      : "client_secret_basic";
  io.stdout(`Setup verified: minted a token for ${printable(profile.service ?? profile.client_id)}.\n`);
  io.stdout(describeToken(token, io.now(), { issuer: profile.issuer, client_id: profile.client_id, auth }));
  io.stdout(
    `\nUse it: curl -H "Authorization: Bearer $(latchkey token${profile.name === DEFAULT_PROFILE ? "" : ` --profile ${profile.name}`})" ...\n`,
  );
  return ExitCode.ok;
}

async function profileExists(dir: string, name: string): Promise<boolean> {
  try {
    return (await loadProfile(dir, name)) !== undefined;
  } catch {
    return true;
  }
}

/** Generates an extractable ES256 key pair with WebCrypto; returns the JWKs and the public thumbprint. */
export async function generateKeyPair(): Promise<{ privateJwk: JWK; publicJwk: JWK; thumbprint: string }> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const full = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JWK;
  const publicJwk = publicPart(full);
  const privateJwk: JWK = { ...publicJwk, d: full.d! };
  return { privateJwk, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, "sha256") };
}
