/**
 * Which credential a command uses. Environment first (for CI and containers, no profile needed): when
 * LATCHKEY_CLIENT_ID is set, LATCHKEY_URL plus one of LATCHKEY_CLIENT_SECRET, LATCHKEY_CLIENT_SECRET_FILE,
 * LATCHKEY_PRIVATE_KEY_FILE (a private JWK, or PKCS#8 PEM whose kid is the RFC 7638 thumbprint) or
 * LATCHKEY_FEDERATED (no secret: the workload's OIDC token, federated.ts). Otherwise the chosen profile.
 */
import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { calculateJwkThumbprint, type JWK } from "jose";
import { algorithmForJwk, toAssertionKey } from "../client/client-auth.js";
import { discover, type FetchLike } from "../client/discovery.js";
import { insecureUrlProblem } from "../client/secure-url.js";
import type { ClientCredential } from "../client/token-request.js";
import { CliError, ExitCode, fromTokenError, usage } from "./errors.js";
import { federatedSource } from "./federated.js";
import { requireProfile, type Profile } from "./profiles.js";

/** A credential ready to request tokens, plus where it came from. */
export interface ResolvedCredential {
  /** Profile name, or `_env` for environment credentials (also the cache file prefix). */
  source: string;
  issuer: string;
  clientId: string;
  credential: ClientCredential;
  /** Known token endpoint (profiles store it); env credentials discover it. */
  tokenEndpoint?: string;
}

/** True when the environment supplies a credential. */
export function hasEnvCredential(env: Record<string, string | undefined>): boolean {
  return Boolean(env.LATCHKEY_CLIENT_ID);
}

/** Resolves the credential from the environment or the profile. */
export async function resolveCredential(
  env: Record<string, string | undefined>,
  configDir: string,
  profileName: string,
  fetchImpl: FetchLike = fetch,
): Promise<ResolvedCredential> {
  if (hasEnvCredential(env)) return envCredential(env, fetchImpl);
  if (env.LATCHKEY_FEDERATED)
    throw usage("LATCHKEY_FEDERATED (or --federated) needs LATCHKEY_CLIENT_ID and LATCHKEY_URL.");
  return profileCredential(await requireProfile(configDir, profileName));
}

/** Builds the credential of a stored profile. */
export async function profileCredential(profile: Profile): Promise<ResolvedCredential> {
  const clientId = profile.client_id;
  if (insecureUrlProblem(profile.issuer) || insecureUrlProblem(profile.token_endpoint)) {
    throw new CliError(
      ExitCode.error,
      `Profile "${profile.name}" names a server that is not https://; run \`latchkey setup\` again with an https:// URL.`,
    );
  }
  if (profile.auth_method === "device_login") {
    throw new CliError(
      ExitCode.usage,
      `Profile "${profile.name}" is a person's sign-in (latchkey login): use it with the admin commands, not for machine tokens.`,
    );
  }
  const credential: ClientCredential =
    profile.auth_method === "client_secret_basic"
      ? { method: "client_secret_basic", clientId, clientSecret: profile.client_secret! }
      : { method: "private_key_jwt", clientId, key: await toAssertionKey(profile.private_jwk!) };
  return { source: profile.name, issuer: profile.issuer, clientId, credential, tokenEndpoint: profile.token_endpoint };
}

async function envCredential(
  env: Record<string, string | undefined>,
  fetchImpl: FetchLike,
): Promise<ResolvedCredential> {
  const clientId = env.LATCHKEY_CLIENT_ID!;
  const issuer = env.LATCHKEY_URL;
  if (!issuer) throw usage("LATCHKEY_CLIENT_ID is set but LATCHKEY_URL is not.");
  const problem = insecureUrlProblem(issuer);
  if (problem) throw usage(`LATCHKEY_URL ${problem}.`);
  const sources = [
    "LATCHKEY_CLIENT_SECRET",
    "LATCHKEY_CLIENT_SECRET_FILE",
    "LATCHKEY_PRIVATE_KEY_FILE",
    "LATCHKEY_FEDERATED",
  ].filter((n) => env[n]);
  if (sources.length !== 1) {
    throw usage(
      "With LATCHKEY_CLIENT_ID, set exactly one of LATCHKEY_CLIENT_SECRET, LATCHKEY_CLIENT_SECRET_FILE, LATCHKEY_PRIVATE_KEY_FILE, LATCHKEY_FEDERATED.",
    );
  }
  const base = { source: "_env", issuer, clientId };
  if (env.LATCHKEY_FEDERATED) {
    const audience = env.LATCHKEY_FEDERATED_AUDIENCE || issuer;
    const subjectToken = federatedSource(env.LATCHKEY_FEDERATED, env, fetchImpl, audience);
    return { ...base, credential: { method: "token_exchange", clientId, subjectToken } };
  }
  if (env.LATCHKEY_PRIVATE_KEY_FILE) {
    const jwk = await loadPrivateKeyFile(env.LATCHKEY_PRIVATE_KEY_FILE);
    return { ...base, credential: { method: "private_key_jwt", clientId, key: await toAssertionKey(jwk) } };
  }
  const secret = env.LATCHKEY_CLIENT_SECRET ?? (await readSecretFile(env.LATCHKEY_CLIENT_SECRET_FILE!));
  return { ...base, credential: { method: "client_secret_basic", clientId, clientSecret: secret } };
}

async function readSecretFile(path: string): Promise<string> {
  const text = await readOrFail(path, "LATCHKEY_CLIENT_SECRET_FILE");
  const secret = text.trim();
  if (!secret) throw usage("LATCHKEY_CLIENT_SECRET_FILE is empty.");
  return secret;
}

async function readOrFail(path: string, variable: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(
      ExitCode.error,
      `Cannot read ${variable} (${path}): ${(error as NodeJS.ErrnoException).code ?? "error"}.`,
    );
  }
}

/**
 * Loads a private key file: a private JWK (JSON) or a PKCS#8 PEM. The result carries `alg` and `kid`
 * (the JWK's own kid, else the RFC 7638 thumbprint of its public key, which is what setup registers).
 */
export async function loadPrivateKeyFile(path: string): Promise<JWK> {
  const text = (await readOrFail(path, "LATCHKEY_PRIVATE_KEY_FILE")).trim();
  let jwk: JWK;
  if (text.startsWith("{")) {
    try {
      jwk = JSON.parse(text) as JWK;
    } catch {
      throw new CliError(ExitCode.error, "LATCHKEY_PRIVATE_KEY_FILE is not valid JSON.");
    }
  } else if (text.includes("-----BEGIN PRIVATE KEY-----")) {
    try {
      jwk = createPrivateKey({ key: text, format: "pem" }).export({ format: "jwk" }) as JWK;
    } catch {
      throw new CliError(
        ExitCode.error,
        "LATCHKEY_PRIVATE_KEY_FILE holds a PEM that is not a readable PKCS#8 private key.",
      );
    }
  } else {
    throw new CliError(ExitCode.error, "LATCHKEY_PRIVATE_KEY_FILE must hold a private JWK (JSON) or a PKCS#8 PEM.");
  }
  if (typeof jwk.d !== "string")
    throw new CliError(ExitCode.error, "LATCHKEY_PRIVATE_KEY_FILE holds a public key, not a private key.");
  let alg: ReturnType<typeof algorithmForJwk>;
  try {
    alg = algorithmForJwk(jwk);
  } catch {
    throw new CliError(ExitCode.error, "LATCHKEY_PRIVATE_KEY_FILE must be an EC P-256 or Ed25519 key.");
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart(jwk), "sha256"));
  return { ...jwk, alg, kid };
}

/** The public members of an EC or OKP JWK. */
export function publicPart(jwk: JWK): JWK {
  return jwk.kty === "EC"
    ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }
    : { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

/** The token endpoint of a credential: stored, or discovered from the issuer. */
export async function tokenEndpointOf(cred: ResolvedCredential, fetchImpl: FetchLike): Promise<string> {
  if (cred.tokenEndpoint) return cred.tokenEndpoint;
  try {
    return (await discover(cred.issuer, { fetch: fetchImpl, strict: false })).token_endpoint;
  } catch (error) {
    throw fromTokenError(error, cred.issuer);
  }
}
